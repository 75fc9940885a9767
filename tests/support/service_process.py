"""A ``partner-service serve`` process as an operator runs it: any installed command (the project's
virtualenv or a wheel's), a loopback port, TLS from trustme certificates, a log file, and a clean
environment (no PARTNER_*, PROMETHEUS_*, GUNICORN_* or virtualenv variables of the test run).

Used by the package, monitoring, backup and load-balancer tests; the same ``serve`` as
``tests/e2e/test_gunicorn.py`` starts, with the command and working folder as parameters.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests
import trustme
import zeep
from partner_service.adapters import migrate
from partner_service.adapters.db import make_engine
from partner_service.adapters.secrets import SecretKeeper
from partner_service.service_layer import credentials, tenants
from partner_service.service_layer.unit_of_work import SqlAlchemyUnitOfWork, session_factory
from prometheus_client.parser import text_string_to_metric_families
from zeep.transports import Transport
from zeep.wsse.username import UsernameToken

PROJECT_COMMAND = Path(sys.executable).with_name("partner-service")
_OWN_VARIABLES = ("PARTNER_", "PROMETHEUS_", "GUNICORN_", "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")


def turn_up(url: str, key: str) -> dict:
    """Migrate the database at ``url`` and add a client, its club and a credential sealed with
    ``key``: the turn-up sheet's values (username, password, club_ids)."""
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        sessions = session_factory(engine)
        client = tenants.create_client(SqlAlchemyUnitOfWork(sessions), "Turned-up Gyms", 1)
        keeper = SecretKeeper(key.encode())
        issued = credentials.add_credential(SqlAlchemyUnitOfWork(sessions), keeper, client.id)
    finally:
        engine.dispose()
    return {"username": issued.credential.username, "password": issued.password, "club_ids": client.club_ids}


def zeep_client(base: str, verify: str | bool, username: str, password: str) -> zeep.Client:
    """A zeep client of ``base``/soap?wsdl with a PasswordDigest UsernameToken."""
    session = requests.Session()
    session.trust_env = False  # else REQUESTS_CA_BUNDLE would replace our CA file
    session.verify = verify
    transport = Transport(session=session, timeout=10, operation_timeout=10)
    return zeep.Client(f"{base}/soap?wsdl", transport=transport,
                       wsse=UsernameToken(username, password, use_digest=True))


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return sock.getsockname()[1]


def clean_environment(**settings: str) -> dict[str, str]:
    """The machine's environment without the test run's own settings, plus ``settings``."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(_OWN_VARIABLES)}
    environment.update(settings)
    return environment


@dataclass(frozen=True)
class TlsFiles:
    ca: str
    cert: str
    key: str


def make_tls_files(directory: Path) -> TlsFiles:
    """A trustme CA and a certificate for 127.0.0.1 and localhost, as PEM files."""
    ca = trustme.CA()
    issued = ca.issue_cert("127.0.0.1", "localhost")
    files = TlsFiles(*(str(directory / name) for name in ("ca.pem", "cert.pem", "key.pem")))
    ca.cert_pem.write_to_path(files.ca)
    issued.cert_chain_pems[0].write_to_path(files.cert)
    issued.private_key_pem.write_to_path(files.key)
    os.chmod(files.key, 0o600)
    return files


@dataclass
class ServiceProcess:
    process: subprocess.Popen
    base: str
    verify: str | bool
    log_file: Path
    metrics_url: str

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.base + path, verify=self.verify, timeout=10, **kwargs)

    def metrics(self) -> str:
        """The exposition text of ``/metrics`` (the master's own listener, ``metrics_bind``)."""
        response = requests.get(self.metrics_url, timeout=10)
        response.raise_for_status()
        return response.text

    def samples(self) -> dict[str, float]:
        """``/metrics`` as {sample name and its labels, as ``name{"label": "value"}``: value}."""
        return {s.name + (json.dumps(s.labels, sort_keys=True) if s.labels else ""): s.value
                for family in text_string_to_metric_families(self.metrics()) for s in family.samples}

    def client(self, username: str, password: str) -> zeep.Client:
        return zeep_client(self.base, self.verify, username, password)

    def log(self) -> str:
        return self.log_file.read_text(errors="replace")

    def stop(self, timeout: float = 20) -> int:
        """SIGTERM (requests in flight finish), SIGKILL after ``timeout``; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process.returncode

    def kill(self) -> None:
        """The whole process group at once, as a crashed host: no worker finishes anything."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


def serve(environment: dict[str, str], log_file: Path, *, command: Path = PROJECT_COMMAND,
          cwd: Path | None = None, tls: TlsFiles | None = None, port: int | None = None,
          args: tuple[str, ...] = ()) -> ServiceProcess:
    """Start ``command serve`` on 127.0.0.1 (TLS when ``tls``, else plain HTTP); wait for /healthz."""
    port = port or free_port()
    metrics_port = free_port()
    environment = dict(environment, PARTNER_BIND=f"127.0.0.1:{port}",
                       PARTNER_METRICS_BIND=f"127.0.0.1:{metrics_port}")
    if tls is not None:
        environment.update(PARTNER_TLS_CERT_FILE=tls.cert, PARTNER_TLS_KEY_FILE=tls.key)
    else:
        environment.update(PARTNER_INSECURE_HTTP="true")
    with log_file.open("ab") as log:
        process = subprocess.Popen([str(command), "serve", *args], env=environment, cwd=cwd, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    scheme = "https" if tls is not None else "http"
    server = ServiceProcess(process, f"{scheme}://127.0.0.1:{port}", tls.ca if tls else False, log_file,
                            f"http://127.0.0.1:{metrics_port}/metrics")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited {process.returncode}:\n{server.log()[-4000:]}")
        try:
            if server.get("/healthz").status_code == 200:
                return server
        except requests.ConnectionError:
            time.sleep(0.1)
    server.kill()
    raise AssertionError(f"serve did not answer /healthz:\n{server.log()[-4000:]}")


@dataclass(frozen=True)
class Ack:
    """A save the service acknowledged: what was sent, the Id it answered, and when (monotonic)."""
    fields: dict
    id: str
    at: float


class Pushers:
    """Threads saving new prospects one at a time through ``server``, as the Connector does: a
    save that fails (a fault, a dropped connection) is sent again, the same, until it is
    acknowledged (at most ``attempts`` times). Keeps each acknowledged save, and each failure."""

    def __init__(self, connect: Callable[[], zeep.Client], club_id: int, prefix: str, threads: int = 3,
                 attempts: int = 20):
        self.acks: list[Ack] = []
        self.failures: list[str] = []
        self.stop = threading.Event()
        self.attempts = attempts
        self.threads = [threading.Thread(target=self._push, args=(connect, club_id, f"{prefix}-{n}"))
                        for n in range(threads)]

    def _push(self, connect: Callable[[], zeep.Client], club_id: int, name: str) -> None:
        client = connect()
        for n in range(100_000):
            if self.stop.is_set():
                return
            fields = {"ExternalId": f"{name}-{n}", "FirstName": name, "LastName": f"Save{n}"}
            for _ in range(self.attempts):
                try:
                    result = client.service.SaveProspect(ClubId=club_id, Prospect=fields)
                except Exception as error:  # noqa: BLE001 - counted; the test decides what is allowed
                    self.failures.append(f"{fields['ExternalId']}: {error!r}"[:300])
                    time.sleep(0.1)
                    continue
                self.acks.append(Ack(fields, result.Id, time.monotonic()))
                break
            else:
                return

    def __enter__(self) -> Pushers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)
