"""Issue 19's smaller holes, each sent as the issue describes it: every answer is a SOAP fault
with the contract's code and a message that repeats nothing of the request, and nothing of a
refused request is stored. (The slow clients, the front and what gunicorn answers itself:
``test_front.py``; the failure throttle: ``test_security_lifecycle.py``.)"""

from __future__ import annotations

import gzip
import http.client
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import trustme
from lxml import etree
from partner_service.adapters.db import make_engine
from sqlalchemy import text

from ..support import MARKER, Reply, envelope, save_xml
from ..support.operations import people_count
from ..support.wsse import GET_LEAD_SOURCES, live_secure_app, security_xml, timestamp_xml, token_xml
from ..support.wsse import envelope as wsse_envelope
from ..support.wsse import post as wsse_post

SERVE = Path(sys.executable).with_name("partner-service")


def send(base_url: str, body: bytes = b"", method: str = "POST", path: str = "/soap", **headers) -> Reply:
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=15)
    headers = {"Content-Type": "text/xml; charset=utf-8", **headers}
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        reply = Reply(response.status, response.getheader("Content-Type", ""), response.read())
        reply.headers = dict(response.getheaders())
        return reply
    finally:
        connection.close()


def prospect(club: int, external_id: str | None = None, **fields) -> bytes:
    """A SaveProspect; ``fields`` after the names, in the schema's order."""
    key = {"ExternalId": external_id} if external_id else {}
    return envelope(save_xml("SaveProspect", club, "Prospect", {**key, "FirstName": "Ann", "LastName": "Lee",
                                                                 **fields}))


def test_a_modified_date_far_in_the_future_is_a_validation_fault_and_stores_nothing(
        live_url, world, uow_factory):
    club = world.acme_club_ids[0]
    reply = send(live_url, prospect(club, "X9", ModifiedDate="9999-12-31T00:00:00Z"))
    assert (reply.fault_code, reply.text("Field")) == ("Client.Validation", "ModifiedDate")
    assert people_count(uow_factory) == 0
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert send(live_url, prospect(club, "X9", ModifiedDate=now)).text("Action") == "Inserted"


def test_a_username_cannot_forge_fields_of_a_text_log_line(live_url, world, caplog):
    forged = "x outcome=ok status=200 client=4242"
    body = envelope(save_xml("SaveProspect", world.acme_club_ids[0], "Prospect", {"FirstName": "A"}),
                    username=forged)
    with caplog.at_level(logging.INFO, logger="partner_service.requests"):
        assert send(live_url, body).fault_code == "FailedAuthentication"
    line = next(r.getMessage() for r in caplog.records if r.name == "partner_service.requests")
    fields = dict(re.findall(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)', line.removeprefix("request ")))
    assert fields["username"] == f'"{forged}"'
    assert (fields["outcome"], fields["status"], "client" in fields) == ("fault", "500", False)


@pytest.mark.parametrize("batch", [False, True], ids=["single-save path", "spyne path"])
def test_a_soap_action_naming_another_operation_is_a_client_fault_and_stores_nothing(
        live_url, world, uow_factory, batch):
    club = world.acme_club_ids[0]
    operation_xml = save_xml("SaveProspect", club, "Prospect", {"FirstName": "Ann", "LastName": "Lee"})
    if batch:
        operation_xml = operation_xml.replace("SaveProspect>", "SaveProspects>").replace(
            "<p:Prospect>", "<p:Prospects><p:Prospect>").replace("</p:Prospect>", "</p:Prospect></p:Prospects>")
    body, name = envelope(operation_xml), "SaveProspects" if batch else "SaveProspect"
    refused = send(live_url, body, SOAPAction='"GetLeadSources"')
    assert (refused.status, refused.fault_code) == (500, "Client")
    assert "SOAPAction" in refused.fault_string and "GetLeadSources" not in refused.fault_string
    assert people_count(uow_factory) == 0
    for action in ('""', "", f'"{name}"', f"urn:connector-partner:v1/{name}",
                   f'"urn:connector-partner:v1#{name}"'):
        assert send(live_url, body, SOAPAction=action).fault_code is None, action


def test_the_wsdl_address_comes_from_a_valid_host_only(live_url):
    evil = 'evil.example"/><wsdl:import location="http://evil.example/x.wsdl'
    refused = send(live_url, method="GET", path="/soap?wsdl", Host=evil)
    assert (refused.status, refused.fault_code) == (400, "Client") and b"evil" not in refused.body
    served = send(live_url, method="GET", path="/soap?wsdl", Host="partner.example:8443")
    location = etree.fromstring(served.body).find(".//{http://schemas.xmlsoap.org/wsdl/soap/}address")
    assert location.get("location") == "http://partner.example:8443/soap"


def test_an_unknown_fields_to_null_name_is_not_echoed(live_url, world, uow_factory):
    name = f"ECHO{MARKER}<i>x</i>"
    body = prospect(world.acme_club_ids[0]).replace(
        b"<p:FirstName>", f"<p:FieldsToNull><p:FieldName>{name.replace('<', '&lt;')}</p:FieldName>"
                          f"</p:FieldsToNull><p:FirstName>".encode(), 1)
    reply = send(live_url, body)
    assert (reply.fault_code, reply.text("Field")) == ("Client.Validation", "FieldsToNull")
    assert MARKER.encode() not in reply.body and b"ECHO" not in reply.body
    assert people_count(uow_factory) == 0


def test_a_timestamp_created_long_ago_does_not_make_an_old_message_fresh(engine, uow_factory, world, tmp_path):
    with live_secure_app(engine, uow_factory, tmp_path) as live:
        username, password = live.credential(world.acme.client_id)
        now = datetime.now(UTC)
        token = token_xml(username, password, nonce=None, created=None)  # PasswordText, no Nonce
        stale = wsse_post(live.url, wsse_envelope(GET_LEAD_SOURCES, security_xml(
            token, timestamp_xml(now - timedelta(hours=2), now + timedelta(days=365)))))
        assert stale.fault_code == "wsse:MessageExpired" and "Timestamp" in stale.fault_string
        fresh = wsse_post(live.url, wsse_envelope(GET_LEAD_SOURCES, security_xml(
            token, timestamp_xml(now - timedelta(seconds=5), now + timedelta(minutes=5)))))
        assert fresh.fault_code is None


def _raw(base_url: str, request: bytes) -> bytes:
    """Send bytes, close the sending side (the client is done), read the answer."""
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=15) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_a_body_shorter_than_its_length_is_refused_and_stores_nothing(live_url, world, uow_factory):
    body = prospect(world.acme_club_ids[0])
    head = ("POST /soap HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml; charset=utf-8\r\n"
            f"Content-Length: {len(body)}")
    answer = _raw(live_url, f"{head}\r\n\r\n".encode() + body[:-40])
    assert answer.startswith(b"HTTP/1.") and b" 400 " in answer.split(b"\r\n", 1)[0]
    assert b"ended before its declared length" in answer
    assert people_count(uow_factory) == 0


def test_405_says_which_methods_are_allowed(live_url):
    reply = send(live_url, b"<x/>", method="PUT")
    assert (reply.status, reply.fault_code, reply.headers.get("Allow")) == (405, "Client", "GET, POST")


def test_compressed_and_non_xml_bodies_are_told_what_they_are(live_url, world):
    body = prospect(world.acme_club_ids[0])
    encoded = send(live_url, gzip.compress(body), **{"Content-Encoding": "gzip"})
    assert encoded.status == 415 and "compressed" in encoded.fault_string
    zipped = send(live_url, gzip.compress(body))
    assert zipped.fault_code == "Client.XMLSyntaxError" and "gzip" in zipped.fault_string
    for garbage in (b"\x00\x01binary", b'{"json": 1}', b"plain text"):
        reply = send(live_url, garbage)
        assert reply.fault_code == "Client.XMLSyntaxError" and "not well-formed XML" in reply.fault_string


def test_a_new_sqlite_file_and_its_journal_are_private(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'partner.sqlite3'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    engine.dispose()
    modes = {path.name: path.stat().st_mode & 0o777 for path in tmp_path.glob("partner.sqlite3*")}
    assert modes["partner.sqlite3"] == 0o600 and all(mode & 0o077 == 0 for mode in modes.values()), modes


# --- serve refuses TLS files that cannot serve -------------------------------------------------


@pytest.fixture
def tls_files(tmp_path):
    ca = trustme.CA()
    issued, other = ca.issue_cert("127.0.0.1"), ca.issue_cert("127.0.0.1")
    files = {"cert": tmp_path / "cert.pem", "key": tmp_path / "key.pem", "other_key": tmp_path / "other.pem",
             "garbage": tmp_path / "garbage.pem"}
    issued.cert_chain_pems[0].write_to_path(str(files["cert"]))
    issued.private_key_pem.write_to_path(str(files["key"]))
    other.private_key_pem.write_to_path(str(files["other_key"]))
    files["garbage"].write_text("not a certificate\n")
    for path in files.values():
        path.chmod(0o600)
    return files


def _serve(tmp_path: Path, cert: Path, key: Path) -> subprocess.Popen:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("PARTNER_", "PROMETHEUS_"))}
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    environment.update(PARTNER_DATA_DIR=str(tmp_path / "data"), PARTNER_BIND=f"127.0.0.1:{port}",
                       PARTNER_TLS_CERT_FILE=str(cert), PARTNER_TLS_KEY_FILE=str(key), PARTNER_WORKERS="1",
                       PARTNER_METRICS_BIND="")
    return subprocess.Popen([str(SERVE), "serve"], env=environment, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)


@pytest.mark.parametrize(("cert", "key", "says"), [
    ("cert", "other_key", "is not the key of the certificate"),
    ("garbage", "key", "cannot be loaded as a PEM certificate chain"),
    ("cert", "missing", "does not exist or is not readable"),
])
def test_serve_refuses_tls_files_that_cannot_serve(tmp_path, tls_files, cert, key, says):
    process = _serve(tmp_path, tls_files[cert], tls_files.get(key, tmp_path / "missing.pem"))
    output, _ = process.communicate(timeout=60)
    assert process.returncode != 0 and says in output, output
    assert "serving" not in output


def test_serve_warns_of_a_world_readable_key(tmp_path, tls_files):
    tls_files["key"].chmod(0o644)
    process = _serve(tmp_path, tls_files["cert"], tls_files["key"])
    lines = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any("partner-service serving" in line for line in lines):
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    assert any("readable by every user" in line for line in lines), lines
