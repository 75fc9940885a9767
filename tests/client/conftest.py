"""A live partner service for the client's tests, publishing all or some operations."""

from __future__ import annotations

import socket
import threading
from contextlib import ExitStack

import pytest
from partner_client import ConnectionSettings, LinkStore, PartnerClient
from partner_service.app import create_app
from partner_service.config import Settings
from partner_service.entrypoints.soap.faults import fault_document
from spyne.model.fault import Fault

from ..support import UsernameOnly, serve_in_thread


@pytest.fixture
def partner(engine, world, tmp_path):
    """``partner(operations=None, wrap=None)``: connection settings of a live service.

    ``operations`` publishes a subset (the service's ``Settings.operations``); ``wrap``
    puts a WSGI middleware in front. Authentication is by username (``acme``, ``other``).
    """
    stack = ExitStack()
    principals = {"acme": world.acme, "other": world.other}

    def start(operations=None, wrap=None, username="acme", **options) -> ConnectionSettings:
        settings = Settings(data_dir=tmp_path, operations=tuple(operations) if operations else None,
                            metrics=False)
        app = create_app(settings, engine=engine, authenticate=UsernameOnly(principals))
        url = stack.enter_context(serve_in_thread(wrap(app) if wrap else app))
        return ConnectionSettings(url=f"{url}/soap", username=username, password="unused",
                                  backoff=0.01, backoff_max=0.05, connect_timeout=5, read_timeout=60,
                                  **options)

    yield start
    stack.close()


@pytest.fixture
def connect(partner):
    """``connect(operations=None, ...)``: a ``PartnerClient`` of a live partner (closed afterwards)."""
    clients = []

    def make(operations=None, wrap=None, **options) -> PartnerClient:
        client = PartnerClient.connect(partner(operations, wrap, **options))
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def links(tmp_path):
    store = LinkStore.open(f"sqlite:///{tmp_path / 'links.sqlite3'}", "acme@test")
    yield store
    store.close()


class FailsOnPurpose:
    """WSGI middleware that fails SOAP calls on a plan, then passes everything through.

    ``drop``: the service handles the request (a save is committed), then the connection
    is cut before any answer, as when a network or proxy drops it. ``unavailable``: a
    ``Server.Unavailable`` fault, nothing saved (the contract's "retry later"). ``garble``:
    the service handles the request, and its answer says ``Action`` values the contract has
    not got.
    """

    def __init__(self, app, plan=("drop", "unavailable")):
        self.app = app
        self.plan = list(plan)
        self.posts = 0
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] != "POST":
            return self.app(environ, start_response)
        with self.lock:
            self.posts += 1
            step = self.plan.pop(0) if self.plan else None
        if step == "drop":
            connection = environ["wsgi.input"].raw._sock  # the app may replace wsgi.input
            b"".join(self.app(environ, lambda *args, **kwargs: None))
            connection.shutdown(socket.SHUT_RDWR)
            return []
        if step == "unavailable":
            environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            body = fault_document(Fault("Server.Unavailable", "The database is unavailable; retry later."))
            start_response("500 Internal Server Error", [("Content-Type", "text/xml; charset=utf-8"),
                                                         ("Content-Length", str(len(body)))])
            return [body]
        if step == "garble":
            answer = b"".join(self.app(environ, start_response))
            return [answer.replace(b">Inserted<", b">Invented<")]
        return self.app(environ, start_response)


@pytest.fixture
def stored(engine):
    """``stored()``: the partner's people rows (as mappings) by ExternalId, read from its database."""
    from partner_service.adapters.orm import people
    from sqlalchemy import select

    def read() -> dict:
        with engine.connect() as connection:
            rows = connection.execute(select(people)).mappings().all()
        return {row["external_id"]: row for row in rows}

    return read


class Recording:
    """WSGI middleware keeping every SOAP request body, to see what the client sent."""

    def __init__(self, app):
        self.app = app
        self.bodies: list[bytes] = []

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] == "POST":
            import io

            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            self.bodies.append(body)
            environ["wsgi.input"] = io.BytesIO(body)
        return self.app(environ, start_response)
