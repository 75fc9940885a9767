"""Test helpers shared by every layer: databases, a live server, fakes, load and hostile requests.

What the benchmarks and tools share with the tests lives in the top-level ``harness`` package
(they never import ``tests``); it is re-exported here, so tests import every helper from
``tests.support``.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from partner_service.domain.model import Principal  # noqa: F401 (for helpers' callers)

from harness.databases import PG_ADMIN_URL, REDIS_URL, WSSE, UsernameOnly, postgres_database
from harness.gunicorn import gunicorn, wait_healthy, workers_of
from harness.hostile_requests import Hostile, hostile_requests
from harness.proxy import CuttableProxy, proxied
from harness.robustness import (
    MARKER,
    PERSON_OPERATIONS,
    SOAP11_ENV,
    SOAP_XML,
    Reply,
    StoreCheck,
    Tally,
    acme_on_postgresql,
    batch_xml,
    check_store,
    envelope,
    person_xml,
    post,
    run_load,
    save_xml,
)


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


__all__ = ["MARKER", "PERSON_OPERATIONS", "PG_ADMIN_URL", "REDIS_URL", "SOAP11_ENV", "SOAP_XML", "WSSE",
           "CuttableProxy", "Hostile", "Reply", "StoreCheck", "Tally", "UsernameOnly", "acme_on_postgresql",
           "batch_xml", "check_store", "envelope", "gunicorn", "hostile_requests", "person_xml", "post",
           "postgres_database", "proxied", "run_load", "save_xml", "serve_in_thread", "wait_healthy",
           "workers_of"]
