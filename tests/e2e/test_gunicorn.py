"""The real server: ``partner-service serve`` (gunicorn, TLS from trustme certificates) on a
loopback port, in its own process group, with the real WS-Security authenticator.

One server on PostgreSQL reached through a TCP proxy the test controls (so the database can
"go away" without touching the shared server) serves most tests; the SIGTERM test has its
own server on SQLite, since it stops it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import trustme
import zeep
from cryptography.fernet import Fernet
from partner_service.adapters import migrate
from partner_service.adapters.db import make_engine
from partner_service.adapters.secrets import SecretKeeper
from partner_service.service_layer import credentials, tenants
from partner_service.service_layer.unit_of_work import SqlAlchemyUnitOfWork, session_factory
from prometheus_client.parser import text_string_to_metric_families
from zeep.transports import Transport
from zeep.wsse.username import UsernameToken

from ..support import CuttableProxy, postgres_database

SERVE = Path(sys.executable).with_name("partner-service")
DEPLOY_CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "gunicorn.conf.py"
MiB = 1024 * 1024


def _free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return sock.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    base: str
    ca_file: str
    log_file: Path
    metrics_url: str = ""

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.base + path, verify=self.ca_file, timeout=10, **kwargs)

    def log(self) -> list[dict]:
        lines = self.log_file.read_text(errors="replace").splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def metric(self, name: str, **labels) -> float:
        text = requests.get(self.metrics_url, timeout=10).text
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                    return sample.value
        return 0.0

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(tmp: Path, tls, env: dict, *args: str) -> Server:
    port, metrics_port = _free_port(), _free_port()
    ca_file, cert_file, key_file = tls
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("PARTNER_", "PROMETHEUS_", "GUNICORN_"))}
    environment.update(PARTNER_DATA_DIR=str(tmp / "data"), PARTNER_BIND=f"127.0.0.1:{port}",
                       PARTNER_TLS_CERT_FILE=cert_file, PARTNER_TLS_KEY_FILE=key_file,
                       PARTNER_LOG_FORMAT="json", PARTNER_WORKERS="2", PARTNER_THREADS="2",
                       PARTNER_METRICS_BIND=f"127.0.0.1:{metrics_port}")
    environment.update(env)
    log_file = tmp / f"server-{port}.log"
    with log_file.open("wb") as log:
        process = subprocess.Popen([str(SERVE), "serve", *args], env=environment, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(process, f"https://127.0.0.1:{port}", ca_file, log_file,
                    f"http://127.0.0.1:{metrics_port}/metrics")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited {process.returncode}:\n{log_file.read_text()}")
        try:
            if server.get("/healthz").status_code == 200:
                return server
        except requests.ConnectionError:
            time.sleep(0.2)
    server.stop()
    raise AssertionError(f"serve did not answer /healthz:\n{log_file.read_text()}")


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    """CA file, certificate file and key file for 127.0.0.1 and localhost, from trustme."""
    directory = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    issued = ca.issue_cert("127.0.0.1", "localhost")
    paths = [directory / name for name in ("ca.pem", "cert.pem", "key.pem")]
    ca.cert_pem.write_to_path(str(paths[0]))
    issued.cert_chain_pems[0].write_to_path(str(paths[1]))
    issued.private_key_pem.write_to_path(str(paths[2]))
    return tuple(map(str, paths))


@dataclass
class Tenant:
    club_id: int
    username: str
    password: str


@pytest.fixture(scope="module")
def proxy():
    proxy = CuttableProxy("127.0.0.1", 5432)
    yield proxy
    proxy.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory, tls, proxy):
    """A server on PostgreSQL through ``proxy``, and a client with a credential."""
    tmp = tmp_path_factory.mktemp("served")
    key = Fernet.generate_key().decode()
    with postgres_database() as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        sessions = session_factory(engine)
        client = tenants.create_client(SqlAlchemyUnitOfWork(sessions), "Served Gyms", 1)
        issued = credentials.add_credential(SqlAlchemyUnitOfWork(sessions), SecretKeeper(key.encode()),
                                            client.id)
        engine.dispose()
        proxied = url.replace("@127.0.0.1:5432/", f"@127.0.0.1:{proxy.port}/")
        assert proxied != url
        server = start_server(tmp, tls, {"PARTNER_DATABASE_URL": proxied, "PARTNER_SECRET_KEY": key})
        try:
            yield server, Tenant(client.club_ids[0], issued.credential.username, issued.password)
        finally:
            server.stop()


def _zeep(server: Server, username: str, password: str) -> zeep.Client:
    session = requests.Session()
    session.trust_env = False  # else REQUESTS_CA_BUNDLE would replace our CA file
    session.verify = server.ca_file
    transport = Transport(session=session, timeout=10, operation_timeout=10)
    return zeep.Client(f"{server.base}/soap?wsdl", transport=transport,
                       wsse=UsernameToken(username, password, use_digest=True))


def test_zeep_calls_over_verified_tls_and_the_audit_line_names_the_call(served):
    server, tenant = served
    client = _zeep(server, tenant.username, tenant.password)
    result = client.service.SaveProspect(ClubId=tenant.club_id,
                                         Prospect={"FirstName": "Tlsmina", "LastName": "Gunicorn"})
    assert result.Action == "Inserted"
    assert server.metric("partner_soap_calls_total", operation="SaveProspect", outcome="ok") >= 1

    line = next(e for e in reversed(server.log()) if e.get("operation") == "SaveProspect")
    assert line["outcome"] == "ok" and line["status"] == 200
    assert line["club"] == tenant.club_id and line["username"] == tenant.username
    assert isinstance(line["credential"], int) and isinstance(line["duration_ms"], float)
    text = server.log_file.read_text()
    assert tenant.password not in text and "Tlsmina" not in text and "Gunicorn" not in text


def test_a_wrong_password_is_counted_as_an_auth_failure(served):
    server, tenant = served
    before = server.metric("partner_auth_failures_total", code="wsse:FailedAuthentication")
    with pytest.raises(zeep.exceptions.Fault):
        _zeep(server, tenant.username, "not-the-password").service.GetLeadSources()
    assert server.metric("partner_auth_failures_total", code="wsse:FailedAuthentication") == before + 1
    assert server.metric("partner_soap_faults_total", operation="GetLeadSources",
                         code="wsse:FailedAuthentication") >= 1
    assert server.metric("partner_soap_call_duration_seconds_count", operation="GetLeadSources") >= 1
    line = next(e for e in reversed(server.log()) if e.get("fault") == "wsse:FailedAuthentication")
    assert line["operation"] == "GetLeadSources" and line["username"] == tenant.username
    assert line["outcome"] == "fault" and "not-the-password" not in server.log_file.read_text()


def test_request_line_and_header_limits_are_enforced_by_gunicorn(served):
    server, _ = served
    assert server.get("/soap?wsdl&pad=" + "x" * 5000).status_code == 414
    too_many = {f"X-Extra-{n}": "1" for n in range(60)}
    assert server.get("/healthz", headers=too_many).status_code == 431
    assert server.get("/healthz", headers={"X-Big": "y" * 9000}).status_code == 431


def test_a_client_that_does_not_trust_the_ca_is_refused(served):
    server, _ = served
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(server.base + "/healthz", timeout=10)


def test_plain_http_to_the_tls_port_fails(served):
    server, _ = served
    with pytest.raises(requests.ConnectionError):
        requests.get(server.base.replace("https://", "http://") + "/healthz", timeout=10)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_two_mib_body_gets_413_before_parsing(served, chunked):
    server, _ = served
    body = b"<x>" + b"a" * (2 * MiB) + b"</x>"
    data = iter([body[i:i + 65536] for i in range(0, len(body), 65536)]) if chunked else body
    response = requests.post(server.base + "/soap", data=data, verify=server.ca_file, timeout=20,
                             headers={"Content-Type": "text/xml; charset=utf-8"})
    assert response.status_code == 413
    assert b"Fault" in response.content and b"aaaa" not in response.content


def test_metrics_add_up_requests_served_by_different_workers(served):
    server, _ = served
    before = server.metric("partner_http_requests_total", route="soap", status="200")
    ids = [uuid.uuid4().hex for _ in range(60)]

    def fetch(request_id):  # a new connection each time, so either worker may take it
        return server.get("/soap?wsdl", headers={"X-Request-ID": request_id, "Connection": "close"})

    with ThreadPoolExecutor(8) as pool:
        assert all(r.status_code == 200 for r in pool.map(fetch, ids))
    pids = {line["pid"] for line in server.log() if line.get("request_id") in set(ids)}
    assert len(pids) == 2, "both workers should have answered some of 60 concurrent requests"
    for _ in range(4):  # whichever worker answers the scrape reports both
        assert server.metric("partner_http_requests_total", route="soap", status="200") == before + 60


def test_readyz_follows_the_database_without_a_restart(served, proxy):
    server, tenant = served
    assert server.get("/readyz").status_code == 200
    proxy.cut()
    try:
        for _ in range(3):
            response = server.get("/readyz")
            assert response.status_code == 503 and b"database" in response.content
        assert server.get("/healthz").status_code == 200  # alive, only not ready
    finally:
        proxy.restore()
    assert all(server.get("/readyz").status_code == 200 for _ in range(3))
    client = _zeep(server, tenant.username, tenant.password)
    assert client.service.SaveProspect(ClubId=tenant.club_id,
                                       Prospect={"FirstName": "Back", "LastName": "Again"}).Action == "Inserted"


# A test-only gunicorn config: the deployed one plus a hook that holds a marked request,
# so "SIGTERM while a request is in flight" happens every time, not by luck.
SLOW_CONFIG = """
exec(compile(open({deploy!r}).read(), {deploy!r}, "exec"))


def pre_request(worker, req):
    import os
    import time

    delay = dict(req.headers).get("X-TEST-DELAY")
    if delay:
        open(os.environ["PARTNER_TEST_STARTED"], "w").close()
        time.sleep(float(delay))
"""


def test_sigterm_lets_a_request_in_flight_finish(tmp_path, tls):
    config = tmp_path / "slow.conf.py"
    config.write_text(SLOW_CONFIG.format(deploy=str(DEPLOY_CONFIG)))
    started = tmp_path / "started"
    server = start_server(tmp_path, tls, {"PARTNER_WORKERS": "1", "PARTNER_TEST_STARTED": str(started),
                                          "PARTNER_GRACEFUL_TIMEOUT": "20"},
                          "--gunicorn-config", str(config))
    try:
        results = {}
        slow = threading.Thread(target=lambda: results.update(
            response=server.get("/soap?wsdl", headers={"X-Test-Delay": "3"})))
        slow.start()
        deadline = time.monotonic() + 10
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert started.exists(), "the slow request never reached the worker"
        server.process.send_signal(signal.SIGTERM)
        slow.join(timeout=30)
        assert results["response"].status_code == 200
        assert results["response"].content.rstrip().endswith(b"definitions>")
        assert server.process.wait(timeout=20) == 0
    finally:
        server.stop()


def test_dev_makes_its_certificate_and_prints_a_working_demo_credential(tmp_path):
    port = _free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PARTNER_", "PROMETHEUS_"))}
    environment.update(PARTNER_DATA_DIR=str(tmp_path / "var"), PARTNER_WORKERS="1")
    out = tmp_path / "out.log"
    with out.open("wb") as log:
        command = [str(SERVE), "serve", "--dev", "--bind", f"127.0.0.1:{port}"]
        process = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    ca_file = tmp_path / "var" / "dev-tls" / "ca.pem"
    server = Server(process, f"https://localhost:{port}", str(ca_file), out)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if ca_file.exists() and server.get("/healthz").status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        printed = out.read_text()
        sheet = tomllib.loads((tmp_path / "var" / "demo-sheet.toml").read_text())
        assert f"password = \"{sheet['password']}\"" in printed and f"curl --cacert {ca_file}" in printed
        assert sheet["url"] == f"https://localhost:{port}/soap"
        assert sheet["options"]["ca_bundle"] == str(ca_file)
        client = _zeep(server, sheet["username"], sheet["password"])
        staff = client.service.GetStaffList(ClubId=sheet["club_ids"][0])
        assert sorted(s.Email for s in staff) == ["ada.coach@demo.example", "ben.desk@demo.example"]
        assert (tmp_path / "var" / "dev-tls" / "key.pem").stat().st_mode & 0o077 == 0
    finally:
        server.stop()
