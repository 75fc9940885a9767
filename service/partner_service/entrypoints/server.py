"""``partner-service serve``: the service under gunicorn, configured by the packaged gunicorn.conf.py.

The master checks the settings and the database, then forks; each worker builds its own
app, engine and connection pool (``preload_app`` stays off), so no connection crosses a
fork. ``--dev`` adds a local CA and certificate, a demo client and credential, and prints
how to call it. ``serve`` refuses to start on TLS files that cannot serve (unreadable, not a
certificate, a key of another certificate) instead of failing every handshake later.

``SoapFaultWorker`` is gunicorn's gthread worker with two changes, the only module that
touches gunicorn's internals (guarded by ``tests/unit/test_gunicorn_guard.py`` and
``tests/e2e/test_front.py``):
- the answers gunicorn writes itself (a malformed request line, headers over the limits, a bad
  chunk) are SOAP faults of the same status, never an HTML page quoting the request;
- a request that says ``Expect: 100-continue`` with a Content-Length over ``max_body_bytes``
  is not invited to send its body: it gets the app's 413 and the connection is closed.
"""

from __future__ import annotations

import http
import os
import re
import sys
from dataclasses import replace
from pathlib import Path

import click
from gunicorn.app.base import Application
from gunicorn.workers.gthread import ThreadWorker
from spyne.model.fault import Fault

from ..adapters.db import make_engine
from ..config import Settings
from .cli_support import ready_database
from .dev_tls import DevCertificate, ensure_dev_certificate
from .soap.faults import fault_document

# Package data beside this module (deploy/gunicorn.conf.py runs it for plain gunicorn).
GUNICORN_CONFIG = Path(__file__).resolve().with_name("gunicorn.conf.py")

# Set once by ``run`` in the gunicorn master, before the config file is read; workers
# inherit it through the fork. Plain ``gunicorn -c deploy/gunicorn.conf.py`` leaves it None.
_active: Settings | None = None


def active_settings() -> Settings:
    """The settings being served: those ``serve`` was given, else the environment's."""
    return _active if _active is not None else Settings.from_env()


_STATUS_LINE = re.compile(rb"HTTP/1\.[01] ([0-9]{3}) ")
_ERROR_MESSAGES = {
    400: "The request is not valid HTTP/1.1 (request line, a header or the chunked framing).",
    403: "The request was refused before it was read (TLS or proxy protocol).",
    414: "The request line is longer than this server accepts.",
    417: "Only Expect: 100-continue is understood.",
    431: "The request has too many header fields, or one too large.",
    501: "Only the chunked Transfer-Encoding is understood.",
}


def fault_response(status: int) -> bytes:
    """A whole HTTP response carrying a SOAP fault for ``status``: never the caller's words."""
    client = status < 500
    message = _ERROR_MESSAGES.get(status, "The server failed to read the request; retry later.")
    body = fault_document(Fault("Client" if client else "Server", message))
    try:
        reason = http.HTTPStatus(status).phrase
    except ValueError:
        reason = "Error"
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
            f"Content-Type: text/xml; charset=utf-8\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode("ascii") + body


class _FaultWriter:
    """The client socket as gunicorn's ``handle_error`` writes to it: its HTML error page
    becomes ``fault_response`` of the same status; everything else passes through."""

    def __init__(self, sock):
        self._sock = sock

    def __getattr__(self, name):
        return getattr(self._sock, name)

    def sendall(self, data: bytes):
        match = _STATUS_LINE.match(data)
        return self._sock.sendall(fault_response(int(match.group(1))) if match else data)


def _declared_length(req) -> int | None:
    for name, value in req.headers:
        if name == "CONTENT-LENGTH":
            return int(value) if value.strip().isdigit() else None
    return None


class SoapFaultWorker(ThreadWorker):
    """gunicorn's gthread worker, answering its own errors with SOAP faults (see the module)."""

    def handle_request(self, req, conn):
        length = _declared_length(req)
        if req._expected_100_continue and length is not None and length > active_settings().max_body_bytes:
            req._expected_100_continue = False  # the app answers 413; the body is never invited
            req.must_close = True
        return super().handle_request(req, conn)

    def handle_error(self, req, client, addr, exc):
        return super().handle_error(req, _FaultWriter(client), addr, exc)


class _Gunicorn(Application):
    def __init__(self, settings: Settings, config_file: Path):
        self.settings = settings
        self.config_file = config_file
        super().__init__(prog="partner-service serve")

    def init(self, parser, opts, args):  # pragma: no cover - only gunicorn's own CLI calls it
        return None

    def load_config(self):
        # Only our config file: gunicorn's own command line and GUNICORN_CMD_ARGS are not read.
        self.load_config_from_file(str(self.config_file))

    def load(self):
        # Runs in each worker after the fork (preload_app is off).
        from ..app import create_app

        return create_app(self.settings)


def check_database(settings: Settings) -> None:
    """In the master, before forking: migrate a SQLite file once (workers would race)."""
    engine = make_engine(settings.resolved_database_url())
    try:
        ready_database(engine)
    finally:
        engine.dispose()


def local_url(settings: Settings) -> str:
    host, _, port = settings.bind.rpartition(":")
    if host in ("127.0.0.1", "0.0.0.0", "[::]", "[::1]", "localhost", ""):  # noqa: S104 - a URL to print
        host = "localhost"
    return f"{settings.scheme}://{host}:{port}/soap"


def _demo_sheet(settings: Settings, url: str, certificate: DevCertificate) -> str:
    """The demo client's turn-up sheet (made on the first --dev start, the same afterwards)."""
    from ..adapters.orm import start_mappers
    from ..security import secret_keeper
    from ..service_layer.credentials import ensure_demo_tenant
    from ..service_layer.unit_of_work import SqlAlchemyUnitOfWork, session_factory

    start_mappers()
    engine = make_engine(settings.resolved_database_url())
    try:
        sessions = session_factory(engine)
        sheet = ensure_demo_tenant(SqlAlchemyUnitOfWork(sessions), secret_keeper(settings), url)
    finally:
        engine.dispose()
    options = {"ca_bundle": str(certificate.ca_file.resolve())} if settings.scheme == "https" else {}
    return replace(sheet, options={**sheet.options, **options}).to_toml()


def _print_dev_help(settings: Settings, certificate: DevCertificate) -> None:
    url = local_url(settings)
    sheet = _demo_sheet(settings, url, certificate)
    sheet_file = Path(settings.data_dir) / "demo-sheet.toml"
    fd = os.open(sheet_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(sheet)
    ca = certificate.ca_file
    database = settings.summary().rsplit("database=", 1)[1].split(" ", 1)[0]
    click.echo(f"""partner-service --dev on {url} (WSDL: {url}?wsdl), database {database}
The certificate is signed by a CA made for this machine: trust {ca} (never a real CA).

  curl --cacert {ca} {url.removesuffix('/soap')}/healthz
  partner-client check --sheet {sheet_file}

Demo credential (turn-up sheet, saved to {sheet_file}):
{sheet}""")
    sys.stdout.flush()


def run(settings: Settings, dev: bool = False, config_file: Path | None = None) -> None:
    global _active
    certificate = None
    if dev:
        certificate = ensure_dev_certificate(settings.data_dir)
        if not settings.insecure_http:
            settings = replace(settings, tls_cert_file=certificate.cert_file, tls_key_file=certificate.key_file)
    problems = settings.serving_problems()
    if problems:
        raise click.ClickException("cannot serve:\n  " + "\n  ".join(problems))
    config_file = config_file or GUNICORN_CONFIG
    if not config_file.exists():
        raise click.ClickException(f"gunicorn config {config_file} not found (reinstall the package, or set "
                                   "PARTNER_GUNICORN_CONFIG).")
    check_database(settings)
    if certificate is not None:
        _print_dev_help(settings, certificate)
    _active = settings
    _Gunicorn(settings, config_file).run()
