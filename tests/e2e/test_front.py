"""The production topology against slow and hostile clients: HAProxy (deploy/haproxy) before
gunicorn, both started here as deployed.

With 16 slow connections open against the front (slow headers, a trickled body, 5 bytes of a
TLS ClientHello, a huge chunk size), good SaveProspects keep answering within 1 s, and none of
the slow requests ever reaches a gunicorn thread; the same slow clients sent straight to
gunicorn stop it (which is why its port is loopback-only). The front names the caller to the
service, which believes it from the front only.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
from dataclasses import dataclass

import pytest
import requests
from argon2 import PasswordHasher
from cryptography.fernet import Fernet
from lxml import etree
from partner_service.adapters import migrate
from partner_service.adapters.db import make_engine
from partner_service.adapters.secrets import SecretKeeper
from partner_service.service_layer import credentials, tenants
from partner_service.service_layer.unit_of_work import SqlAlchemyUnitOfWork, session_factory

from ..support.haproxy_front import Backend, Front, haproxy_front, start_backend
from ..support.wsse import SAVE_PETE, envelope, security_xml, token_xml

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
TNS = "urn:connector-partner:v1"


@dataclass
class Deployment:
    front: Front
    backend: Backend
    club: int
    username: str
    password: str

    def save_body(self) -> bytes:
        return envelope(SAVE_PETE.format(club=self.club),
                        security_xml(token_xml(self.username, self.password, digest=True)))


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("front")
    key = Fernet.generate_key().decode()
    url = f"sqlite:///{tmp / 'partner.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    sessions = session_factory(engine)
    client = tenants.create_client(SqlAlchemyUnitOfWork(sessions), "Front Gyms", 1)
    keeper = SecretKeeper(key.encode(), PasswordHasher(memory_cost=1024))
    issued = credentials.add_credential(SqlAlchemyUnitOfWork(sessions), keeper, client.id)
    engine.dispose()
    # One process of two threads: 16 slow clients would hold it eight times over.
    backend = start_backend(tmp, {"PARTNER_DATABASE_URL": url, "PARTNER_SECRET_KEY": key})
    try:
        with haproxy_front([backend.address], tmp) as front:
            yield Deployment(front, backend, client.club_ids[0], issued.credential.username, issued.password)
    finally:
        backend.stop()


def _tls(front: Front) -> socket.socket:
    raw = socket.create_connection(("127.0.0.1", front.port), timeout=15)
    return front.tls.context().wrap_socket(raw, server_hostname="127.0.0.1")


class SlowClient:
    """One hostile connection: what it sends at once, then one more byte-ish every ``step`` s."""

    def __init__(self, name: str, connect, first: bytes, trickle: bytes = b""):
        self.name, self.first, self.trickle = name, first, trickle
        self.sock = connect()
        self.sock.sendall(first)
        self.opened = time.monotonic()
        self.answer: bytes | None = None
        self.answered_after: float | None = None
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        data = b""
        try:
            while chunk := self.sock.recv(4096):
                data += chunk
        except OSError:
            pass
        self.answer, self.answered_after = data, time.monotonic() - self.opened

    def step(self) -> None:
        if self.trickle and self.answer is None:
            with contextlib.suppress(OSError):
                self.sock.sendall(self.trickle)

    @property
    def status(self) -> int | None:
        if not self.answer:
            return None
        return int(self.answer.split(b" ", 2)[1])


def _slow_clients(front: Front) -> list[SlowClient]:
    def tls():
        return _tls(front)

    def tcp():
        return socket.create_connection(("127.0.0.1", front.port), timeout=15)

    head = b"POST /soap HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml; charset=utf-8\r\n"
    clients = []
    for _ in range(4):
        clients += [
            SlowClient("slow headers", tls, head, b"X-Slow: 1\r\n"),
            SlowClient("slow body", tls, head + b"Content-Length: 100000\r\n\r\n<", b"x"),
            SlowClient("5 bytes of a ClientHello", tcp, b"\x16\x03\x01\x02\x00"),
            SlowClient("huge chunk size", tls,
                       head + b"Transfer-Encoding: chunked\r\n\r\n7fffffffffffffff\r\nab"),
        ]
    clients.append(SlowClient("chunk over the body limit", tls, head + b"Transfer-Encoding: chunked\r\n\r\n"
                                                                       b"200000\r\nab", b"c"))
    return clients


def settled_count(backend) -> int:
    """How many requests the backend has logged, once no earlier request's line is still on its way
    (a line is written after its answer is sent, so a test that ran just before may add one late)."""
    count = len(backend.requests())
    for _ in range(20):
        time.sleep(0.1)
        now = len(backend.requests())
        if now == count:
            return count
        count = now
    return count


def test_good_saves_keep_answering_within_a_second_while_16_slow_clients_hold_connections(deployment):
    front, backend = deployment.front, deployment.backend
    before = settled_count(backend)
    clients = _slow_clients(front)
    assert len(clients) == 17
    stop = threading.Event()

    def trickle():
        while not stop.wait(1.0):
            for client in clients:
                client.step()

    trickler = threading.Thread(target=trickle, daemon=True)
    trickler.start()
    try:
        times = []
        started = time.monotonic()
        while time.monotonic() - started < 3.5:
            begun = time.monotonic()
            response = front.post("/soap", deployment.save_body(), timeout=5)
            times.append(time.monotonic() - begun)
            assert response.status_code == 200, response.text
            assert etree.fromstring(response.content).findtext(f".//{{{TNS}}}Action") == "Inserted"
            time.sleep(0.25)
        assert len(times) >= 8 and max(times) < 1.0, times
        # Every deadline of the front ends its slow client, with a SOAP fault where HTTP was spoken.
        for client in clients:
            client.reader.join(timeout=14 - (time.monotonic() - client.opened))
    finally:
        stop.set()
        trickler.join()
    ended = {(c.name, c.status, c.answered_after is not None and c.answered_after < limit)
             for c, limit in zip(clients, [6.5, 11.5, 6.5, 1.0] * 4 + [1.0], strict=True)}
    assert ended == {("slow headers", 408, True), ("slow body", 408, True),
                     ("5 bytes of a ClientHello", None, True), ("huge chunk size", 400, True),
                     ("chunk over the body limit", 413, True)}, [
        (c.name, c.status, c.answered_after) for c in clients]
    # HAProxy 2.6 answers a stalled header (408) or unparsable framing (400) from its HTTP/1
    # parser, before any rule runs, with its fixed built-in page: never the request's words.
    # Every answer of a rule (the body's 408, the 413) is the configured SOAP fault.
    for client in clients:
        assert b"X-Slow" not in (client.answer or b"") and b"7fffffff" not in (client.answer or b"")
        if client.name in ("slow body", "chunk over the body limit"):
            assert b"soap11env:Fault" in client.answer and b"<html" not in client.answer
    # Not one slow request reached gunicorn: the backend saw the good saves only.
    seen = backend.requests()[before:]
    assert {(line["route"], line["status"], line.get("operation")) for line in seen} == {
        ("soap", 200, "SaveProspect")}
    assert len(seen) == len(times)


def test_the_same_slow_clients_sent_straight_to_gunicorn_hold_its_threads(deployment):
    """Why the front is the way in: gunicorn's own port is held by two slow clients."""
    host, port = deployment.backend.address.split(":")
    slow = [socket.create_connection((host, int(port)), timeout=10) for _ in range(2)]
    try:
        for sock in slow:
            sock.sendall(b"POST /soap HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n<")
        time.sleep(0.3)
        with pytest.raises(requests.exceptions.ReadTimeout):
            requests.post(f"http://{deployment.backend.address}/soap", data=deployment.save_body(),
                          headers={"Content-Type": "text/xml; charset=utf-8"}, timeout=1)
    finally:
        for sock in slow:
            sock.close()


def _post_from(address: str, front: Front | None, backend: str | None, body: bytes, **headers) -> int:
    """POST from a chosen loopback source address, to the front (TLS) or straight to a backend."""
    if front is not None:
        connection = http.client.HTTPSConnection("127.0.0.1", front.port, context=front.tls.context(),
                                                 timeout=10, source_address=(address, 0))
    else:
        host, port = backend.split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=10, source_address=(address, 0))
    try:
        connection.request("POST", "/soap", body=body,
                           headers={"Content-Type": "text/xml; charset=utf-8", **headers})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_the_service_logs_the_caller_the_front_names_and_ignores_a_forged_one(deployment):
    backend, body = deployment.backend, deployment.save_body
    forged = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "http"}
    assert _post_from("127.0.0.5", deployment.front, None, body(), **forged,
                      **{"X-Request-ID": "via-front"}) == 200
    assert _post_from("127.0.0.6", None, backend.address, body(), **forged,  # straight to gunicorn
                      **{"X-Request-ID": "not-via-front"}) == 200
    callers = {line["request_id"]: line["remote_addr"] for line in backend.requests()}
    assert (callers["via-front"], callers["not-via-front"]) == ("127.0.0.5", "127.0.0.6")


def test_the_wsdl_through_the_front_names_the_public_https_address(deployment):
    front = deployment.front
    wsdl = etree.fromstring(front.get("/soap?wsdl").content)
    location = wsdl.find(".//{http://schemas.xmlsoap.org/wsdl/soap/}address").get("location")
    assert location == f"https://127.0.0.1:{front.port}/soap"


def test_the_fronts_own_refusals_are_soap_faults_without_a_body_invited(deployment):
    front = deployment.front
    with socket.create_connection(("127.0.0.1", front.port), timeout=10) as raw, \
            front.tls.context().wrap_socket(raw, server_hostname="127.0.0.1") as sock:
        sock.sendall(b"POST /soap HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\n"
                     b"Content-Length: 10000000000\r\nExpect: 100-continue\r\n\r\n")
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413 ") and b"100 Continue" not in answer
    assert b"soap11env:Fault" in answer and b"<html" not in answer.lower()
    unavailable = front.get("/soap?wsdl", headers={"Host": "x"})  # answered by the service
    assert unavailable.status_code == 200


def test_metrics_are_not_on_the_public_port_but_on_their_own_loopback_address(deployment):
    assert deployment.front.get("/metrics").status_code == 404
    assert requests.get(f"http://{deployment.backend.address}/metrics", timeout=10).status_code == 404
    # One call of its own, so that the calls counter has a sample whatever ran before this test.
    deployment.front.post("/soap", b"<not-soap/>")
    scraped = requests.get(f"http://{deployment.backend.metrics_address}/metrics", timeout=10)
    assert scraped.status_code == 200 and "partner_soap_calls_total" in scraped.text


# --- what gunicorn answers itself (its port, as the front reaches it) ------------------------


def _raw(address: str, request: bytes, close_sending: bool = False) -> bytes:
    host, port = address.split(":")
    with socket.create_connection((host, int(port)), timeout=15) as sock:
        sock.sendall(request)
        if close_sending:
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_gunicorn_answers_413_to_a_huge_expect_100_continue_without_inviting_the_body(deployment):
    answer = _raw(deployment.backend.address,
                  b"POST /soap HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n"
                  b"Content-Length: 10000000000\r\nExpect: 100-continue\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 413 ") and b"100 Continue" not in answer
    assert b"soap11env:Fault" in answer  # and the connection was closed: the read above ended


@pytest.mark.parametrize(("request_bytes", "status"), [
    (b"GET /soap?<script>HOSTILE7f3a</script> HTTP/1.1 HOSTILE7f3a\r\nHost: x\r\n\r\n", 400),
    (b"HOSTILE7f3a\r\n\r\n", 400),
    (b"GET /" + b"x" * 5000 + b"HOSTILE7f3a HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: HOSTILE7f3a\r\n" % n for n in range(60)) + b"\r\n",
     431),
], ids=["request line", "garbage", "long line", "many headers"])
def test_gunicorns_own_error_answers_are_soap_faults_that_quote_nothing(deployment, request_bytes, status):
    answer = _raw(deployment.backend.address, request_bytes)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 %d " % status) and b"text/xml" in head
    fault = etree.fromstring(body).find(f".//{{{SOAP}}}Fault")
    assert fault.findtext("faultcode") == "soap11env:Client" and len(fault.findtext("faultstring")) > 20
    assert b"HOSTILE7f3a" not in answer and b"<html" not in answer.lower()


def test_a_body_cut_short_through_gunicorn_is_refused_and_not_saved(deployment):
    backend = deployment.backend
    body = deployment.save_body()
    head = (f"POST /soap HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml; charset=utf-8\r\n"
            f"X-Request-ID: cut-short\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    answer = _raw(backend.address, head + body[:-30], close_sending=True)
    assert answer.startswith(b"HTTP/1.1 400 ") and b"ended before its declared length" in answer
    line = next(line for line in backend.requests() if line["request_id"] == "cut-short")
    assert (line["status"], line.get("operation")) == (400, None)  # never reached an operation


def test_a_chunked_save_through_the_front_is_buffered_and_answered(deployment):
    """Java stacks (CXF, JAX-WS) send larger bodies chunked: the front buffers them whole too."""
    body = deployment.save_body()
    response = requests.post(deployment.front.base + "/soap", data=iter([body[:100], body[100:]]),
                             headers={"Content-Type": "text/xml; charset=utf-8"},
                             verify=str(deployment.front.tls.ca_file), timeout=10)
    assert response.status_code == 200
    assert etree.fromstring(response.content).findtext(f".//{{{TNS}}}Action") == "Inserted"
