"""A live server on a loopback socket, and zeep clients for it."""

from __future__ import annotations

import pytest
import zeep
from partner_service.app import create_app
from partner_service.config import Settings
from zeep.transports import Transport
from zeep.wsse.username import UsernameToken

from ..support import UsernameOnly, serve_in_thread


@pytest.fixture
def live_url(engine, world, tmp_path):
    """Base URL of the real app, authenticating by username only (WS-Security has its own tests)."""
    principals = {"acme": world.acme, "other": world.other}
    app = create_app(Settings(data_dir=tmp_path), engine=engine, authenticate=UsernameOnly(principals))
    with serve_in_thread(app) as url:
        yield url


@pytest.fixture
def soap_client(live_url):
    """``soap_client("acme")``: a zeep client calling the live server as that user."""
    clients = []

    def make(username: str = "acme") -> zeep.Client:
        transport = Transport(timeout=10, operation_timeout=10)
        client = zeep.Client(f"{live_url}/soap?wsdl", transport=transport,
                             wsse=UsernameToken(username, "unused"))
        clients.append(client)
        return client

    yield make


@pytest.fixture
def acme(soap_client):
    """The service as seen by the ``acme`` tenant's credential."""
    return soap_client("acme").service


@pytest.fixture
def club(world):
    """acme's first club."""
    return world.acme_club_ids[0]
