"""The documented production topology for tests: HAProxy with ``deploy/haproxy/haproxy.cfg``
before one or more ``partner-service serve --insecure-http`` backends, all on loopback.

``render_config`` turns the shipped file into one for a test: the listener on a free port with
a trustme certificate, one ``server`` line per backend, and without the lines only a system
install has (chroot, user, syslog, admin socket). Everything else (timeouts, buffering, body
limit, forwarding, health checks, error pages) is the shipped configuration, byte for byte; a
change to the shipped file that the rendering cannot follow fails here, loudly.

``start_backend`` runs the real command line (gunicorn, the real WS-Security authenticator) on
a free port, trusting the front's address (``PARTNER_TRUSTED_PROXIES=127.0.0.1``), with its
metrics on a free port of their own. ``haproxy_front(backends, tmp)`` yields the front.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
import trustme

ROOT = Path(__file__).resolve().parents[2]
DEPLOY_CONFIG = ROOT / "deploy" / "haproxy" / "haproxy.cfg"
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
SERVE = Path(sys.executable).with_name("partner-service")
# Global lines that need a system install (root, /var/lib/haproxy, syslog, /run/haproxy).
_SYSTEM_ONLY = re.compile(r"^\s*(chroot|user|group|log /dev/log|stats socket)\b.*\n", re.MULTILINE)
_BIND = re.compile(r"^(\s*)bind :443 ssl crt \S+", re.MULTILINE)
_SERVERS = re.compile(r"^(\s*# BACKENDS:.*\n)(?:\s*server .*\n)+", re.MULTILINE)


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        return sock.getsockname()[1]


def render_config(text: str, *, port: int, pem: Path, backends: list[str]) -> str:
    """The shipped configuration for a test: ``backends`` are ``HOST:PORT`` of plain-HTTP services."""
    rendered, found = _SYSTEM_ONLY.subn("", text)
    assert found == 5, f"expected 5 system-only global lines, found {found}"
    rendered, found = _BIND.subn(rf"\1bind 127.0.0.1:{port} ssl crt {pem}", rendered)
    assert found == 1, "expected one 'bind :443 ssl crt ...' line"
    servers = "".join(f"    server app{n} {address}\n" for n, address in enumerate(backends, 1))
    rendered, found = _SERVERS.subn(lambda m: m.group(1) + servers, rendered)
    assert found == 1, "expected the server list after '# BACKENDS:'"
    return rendered


@dataclass
class Tls:
    ca_file: Path
    pem: Path  # certificate chain and key in one file, as HAProxy's ``crt`` takes it

    @classmethod
    def make(cls, directory: Path) -> Tls:
        ca = trustme.CA()
        issued = ca.issue_cert("127.0.0.1", "localhost")
        tls = cls(directory / "ca.pem", directory / "front.pem")
        ca.cert_pem.write_to_path(str(tls.ca_file))
        chain = b"".join(blob.bytes() for blob in issued.cert_chain_pems)
        tls.pem.write_bytes(chain + issued.private_key_pem.bytes())
        tls.pem.chmod(0o600)
        return tls

    def context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))


@dataclass
class Backend:
    process: subprocess.Popen
    address: str          # HOST:PORT
    metrics_address: str  # HOST:PORT of its /metrics
    log_file: Path

    def log(self) -> list[dict]:
        lines = self.log_file.read_text(errors="replace").splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def requests(self) -> list[dict]:
        return [line for line in self.log() if line.get("event") == "request"]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def _wait(check, what: str, process: subprocess.Popen, log_file: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{what} exited {process.returncode}:\n{log_file.read_text()[-3000:]}")
        try:
            if check():
                return
        except (OSError, requests.RequestException):
            pass
        time.sleep(0.1)
    raise AssertionError(f"{what} did not come up:\n{log_file.read_text()[-3000:]}")


def start_backend(tmp: Path, env: dict[str, str], workers: int = 1, threads: int = 2) -> Backend:
    """``partner-service serve --insecure-http`` on a free loopback port, trusting the front."""
    port, metrics_port = free_port(), free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PARTNER_", "PROMETHEUS_"))}
    environment.update(PARTNER_BIND=f"127.0.0.1:{port}", PARTNER_INSECURE_HTTP="true",
                       PARTNER_TRUSTED_PROXIES="127.0.0.1", PARTNER_METRICS_BIND=f"127.0.0.1:{metrics_port}",
                       PARTNER_LOG_FORMAT="json", PARTNER_WORKERS=str(workers), PARTNER_THREADS=str(threads),
                       PARTNER_GRACEFUL_TIMEOUT="5", PARTNER_DATA_DIR=str(tmp / "data"))
    environment.update(env)
    log_file = tmp / f"backend-{port}.log"
    with log_file.open("wb") as log:
        process = subprocess.Popen([str(SERVE), "serve"], env=environment, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    backend = Backend(process, f"127.0.0.1:{port}", f"127.0.0.1:{metrics_port}", log_file)
    try:
        _wait(lambda: requests.get(f"http://{backend.address}/healthz", timeout=2).ok, "the backend",
              process, log_file)
    except AssertionError:
        backend.stop()
        raise
    return backend


@dataclass
class Front:
    process: subprocess.Popen
    port: int
    tls: Tls
    config_file: Path

    @property
    def base(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.base + path, verify=str(self.tls.ca_file), timeout=10, **kwargs)

    def post(self, path: str, body: bytes, timeout: float = 10, **headers) -> requests.Response:
        headers = {"Content-Type": "text/xml; charset=utf-8", **headers}
        return requests.post(self.base + path, data=body, headers=headers, verify=str(self.tls.ca_file),
                             timeout=timeout)


@contextmanager
def haproxy_front(backends: list[str], tmp: Path):
    """HAProxy with the shipped configuration before ``backends`` (``HOST:PORT``, plain HTTP)."""
    tls = Tls.make(tmp)
    port = free_port()
    config_file = tmp / "haproxy.cfg"
    config_file.write_text(render_config(DEPLOY_CONFIG.read_text(), port=port, pem=tls.pem, backends=backends))
    log_file = tmp / "haproxy.log"
    with log_file.open("wb") as log:
        process = subprocess.Popen([HAPROXY, "-db", "-f", str(config_file)], stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    front = Front(process, port, tls, config_file)
    try:
        _wait(lambda: front.get("/healthz").status_code == 200, "haproxy", process, log_file)
        yield front
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


__all__ = ["Backend", "Front", "Tls", "free_port", "haproxy_front", "render_config", "start_backend"]
