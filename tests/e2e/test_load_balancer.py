"""Several service processes behind one front, on one PostgreSQL database.

The shipped HAProxy configuration (deploy/haproxy/haproxy.cfg, rendered by ``haproxy_front``)
before two ``partner-service serve`` backends (gunicorn, the real WS-Security authenticator,
``PARTNER_TRUSTED_PROXIES=127.0.0.1``): calls spread over both; a token accepted by one is
refused by the other; one killed mid-run (SIGKILL, as a crashed host) loses no acknowledged
save while the other keeps answering; a forged ``X-Forwarded-For`` / ``X-Forwarded-Proto``
from an address that is no trusted proxy is ignored; the WSDL served through the front names
the front's public address.
"""

from __future__ import annotations

import os
import signal
import socket
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from lxml import etree

from ..support import postgres_database
from ..support.haproxy_front import Backend, Front, haproxy_front, start_backend
from ..support.service_process import Pushers, turn_up, zeep_client
from ..support.wsse import GET_LEAD_SOURCES, envelope, fresh_key, post, security_xml, token_xml

WSDL = "http://schemas.xmlsoap.org/wsdl/"
SOAP_BINDING = "http://schemas.xmlsoap.org/wsdl/soap/"
BATCH = 200


@dataclass
class Cluster:
    front: Front
    backends: list[Backend]
    sheet: dict

    def client(self):
        return zeep_client(self.front.base, str(self.front.tls.ca_file), self.sheet["username"],
                           self.sheet["password"])

    def token(self) -> str:
        return security_xml(token_xml(self.sheet["username"], self.sheet["password"], digest=True))

    def answered_by(self, request_id: str) -> list[int]:
        """Which backends (0, 1) logged the request ``request_id``."""
        return [n for n, backend in enumerate(self.backends)
                if any(line.get("request_id") == request_id for line in backend.requests())]


@contextmanager
def cluster(tmp_path) -> Iterator[Cluster]:
    """Two backends (1 worker x 2 threads each) on one new PostgreSQL database, and the front."""
    key = fresh_key()
    with postgres_database() as url:
        sheet = turn_up(url, key)
        env = {"PARTNER_DATABASE_URL": url, "PARTNER_SECRET_KEY": key, "PARTNER_AUTH_HASH_MEMORY_KIB": "1024"}
        folders = [tmp_path / f"b{n}" for n in range(2)]
        for folder in folders:
            folder.mkdir()
        with ThreadPoolExecutor(2) as pool:  # started together: each start is mostly imports
            starting = [pool.submit(start_backend, folder, env) for folder in folders]
        backends = [future.result() for future in starting if future.exception() is None]
        try:
            assert len(backends) == 2, [future.exception() for future in starting]
            with haproxy_front([b.address for b in backends], tmp_path) as front:
                yield Cluster(front, backends, sheet)
        finally:
            for backend in backends:
                backend.stop()


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    with cluster(tmp_path_factory.mktemp("cluster")) as running:
        yield running


def test_calls_through_the_front_spread_over_both_backends(running):
    request_ids = [uuid.uuid4().hex for _ in range(16)]
    for request_id in request_ids:  # one after another: leastconn takes turns among idle backends
        answer = running.front.post("/soap", envelope(GET_LEAD_SOURCES, running.token()),
                                    **{"X-Request-ID": request_id})
        assert answer.status_code == 200, answer.text
    time.sleep(0.2)  # the audit line is written as the answer leaves
    served_by = [running.answered_by(request_id) for request_id in request_ids]
    assert all(len(backends) == 1 for backends in served_by), served_by
    counts = [sum(backends == [n] for backends in served_by) for n in (0, 1)]
    assert min(counts) >= 4, counts


def test_a_token_accepted_by_one_backend_is_refused_by_the_other(running):
    body = envelope(GET_LEAD_SOURCES, running.token())
    first, second = (post(f"http://{backend.address}", body) for backend in running.backends)
    assert (first.status, first.fault_code) == (200, None)
    assert second.fault_code == "wsse:MessageExpired"


def _raw_get(address: str, path: str, headers: dict[str, str], source: str) -> tuple[int, bytes]:
    """GET from the loopback address ``source`` (no trusted proxy), straight to a backend."""
    host, port = address.split(":")
    with socket.create_connection((host, int(port)), timeout=10, source_address=(source, 0)) as sock:
        lines = [f"GET {path} HTTP/1.1", f"Host: {address}", "Connection: close",
                 *(f"{name}: {value}" for name, value in headers.items())]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def _soap_address(wsdl: bytes) -> str:
    return etree.fromstring(wsdl).find(f".//{{{WSDL}}}port/{{{SOAP_BINDING}}}address").get("location")


def test_forwarded_headers_from_an_untrusted_address_are_ignored(running):
    backend = running.backends[0]
    request_id = uuid.uuid4().hex
    status, wsdl = _raw_get(backend.address, "/soap?wsdl", {
        "X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https", "X-Request-ID": request_id},
        source="127.0.0.2")
    assert status == 200
    assert _soap_address(wsdl) == f"http://{backend.address}/soap"  # not the forged https
    time.sleep(0.2)
    (line,) = [line for line in backend.requests() if line.get("request_id") == request_id]
    assert line["remote_addr"] == "127.0.0.2"


def test_the_front_names_the_caller_and_the_wsdl_names_the_public_address(running):
    request_id = uuid.uuid4().hex
    response = running.front.get("/soap?wsdl", headers={"X-Forwarded-For": "203.0.113.9",
                                                        "X-Request-ID": request_id})
    assert response.status_code == 200
    assert _soap_address(response.content) == f"{running.front.base}/soap"
    time.sleep(0.2)
    lines = [line for backend in running.backends for line in backend.requests()
             if line.get("request_id") == request_id]
    assert [line["remote_addr"] for line in lines] == ["127.0.0.1"]  # the front dropped the forged hop


def test_a_backend_killed_mid_run_loses_no_acknowledged_save_and_the_other_keeps_answering(tmp_path):
    with cluster(tmp_path) as running:
        club_id = running.sheet["club_ids"][0]
        victim = running.backends[0]
        with Pushers(running.client, club_id, "LB") as pushers:
            time.sleep(1.5)
            assert any(line.get("operation") == "SaveProspect" for line in victim.requests())
            os.killpg(victim.process.pid, signal.SIGKILL)
            killed = time.monotonic()
            victim.process.wait()
            time.sleep(3.0)
        after = [ack for ack in pushers.acks if ack.at > killed + 1.0]
        assert len(after) >= 10, (len(pushers.acks), len(after), pushers.failures)
        # A failed save was sent again until acknowledged; none was given up.
        assert len({ack.fields["ExternalId"] for ack in pushers.acks}) == len(pushers.acks)
        client = running.client()
        for start in range(0, len(pushers.acks), BATCH):
            sent = pushers.acks[start:start + BATCH]
            prospects = {"Prospect": [ack.fields for ack in sent]}
            results = client.service.SaveProspects(ClubId=club_id, Prospects=prospects)
            assert [(r.Action, r.Id) for r in results] == [("Unchanged", ack.id) for ack in sent]
        print(f"{len(pushers.acks)} saves acknowledged, {len(after)} after the kill, "
              f"{len(pushers.failures)} sent again: {pushers.failures[:3]}")
