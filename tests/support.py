"""Test helpers shared by every layer: databases, a live server, fakes."""

from __future__ import annotations

import os
import threading
import uuid
from contextlib import contextmanager
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import psycopg
from partner_service.domain.errors import SecurityRefused
from partner_service.domain.model import Principal
from sqlalchemy.engine import make_url

PG_ADMIN_URL = os.environ.get("PARTNER_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
# Tests that use Redis (the optional replay cache) keep to a random key prefix of their own.
REDIS_URL = os.environ.get("PARTNER_TEST_REDIS", "redis://127.0.0.1:6379/0")
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"


@contextmanager
def postgres_database(admin_url: str = PG_ADMIN_URL, prefix: str = "partner_test"):
    """A fresh PostgreSQL database (tests, benchmarks), dropped afterwards; yields its URL."""
    admin = make_url(admin_url)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class UsernameOnly:
    """Stands in for WS-Security where a test is about something else: the UsernameToken's
    Username picks the principal; no password is checked."""

    def __init__(self, principals: dict[str, Principal]):
        self.principals = principals

    def open(self, header):
        """As ``HeaderAuthenticator.open``: nothing to admit, None for a token it refuses."""
        try:
            return self(header), None
        except SecurityRefused:
            return None

    def __call__(self, header) -> Principal:
        for element in header:
            for username in element.iter(f"{{{WSSE}}}Username"):
                principal = self.principals.get((username.text or "").strip())
                if principal is not None:
                    return principal
                raise SecurityRefused("FailedAuthentication", "The security token could not be authenticated.")
        raise SecurityRefused("InvalidSecurity", "A wsse:Security header is required.")


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    # socketserver's default backlog is 5: 16 clients opening a connection per request overflow
    # it, and the kernel then resets some connections (gunicorn, as deployed, listens with 2048).
    request_queue_size = 128


@contextmanager
def serve_in_thread(app):
    """Serve a WSGI app on a loopback port; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, server_class=_ThreadingServer, handler_class=_QuietHandler)
    # A short poll interval: shutdown() waits up to one interval, and every e2e test shuts one down.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
