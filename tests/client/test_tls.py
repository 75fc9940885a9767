"""HTTPS: the partner's certificate is verified, against the turn-up sheet's CA bundle when given."""

from __future__ import annotations

import ssl
import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
import trustme
from partner_client import ConnectionFailed, ConnectionSettings, PartnerClient
from partner_service.app import create_app
from partner_service.config import Settings

from ..support import UsernameOnly


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def https_partner(engine, world, tmp_path):
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)
    app = create_app(Settings(data_dir=tmp_path, metrics=False), engine=engine,
                     authenticate=UsernameOnly({"acme": world.acme}))
    server = make_server("127.0.0.1", 0, app, handler_class=_Quiet)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    ca_file = tmp_path / "partner-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    yield f"https://localhost:{server.server_port}/soap", str(ca_file)
    server.shutdown()
    server.server_close()


def test_the_ca_bundle_verifies_the_partner(https_partner, world):
    url, ca_file = https_partner
    settings = ConnectionSettings(url=url, username="acme", password="unused", ca_bundle=ca_file)
    with PartnerClient.connect(settings) as client:
        assert [s.staff_id for s in client.get_staff_list()] == [world.staff_id]


def test_an_unknown_certificate_is_refused(https_partner):
    url, _ca_file = https_partner
    settings = ConnectionSettings(url=url, username="acme", password="unused", attempts=1)
    with pytest.raises(ConnectionFailed) as caught:
        PartnerClient.connect(settings)
    assert "TLS" in str(caught.value)
