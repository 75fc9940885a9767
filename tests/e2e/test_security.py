"""WS-Security against the running app: real SOAP stacks get in, hand-built refusals don't.

Every refusal is checked for its WSS fault code, a message without the secret, and that
nothing of the refused request was stored.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import argon2
import pytest
import suds.client
import suds.wsse
import zeep
from sqlalchemy import event
from zeep.transports import Transport
from zeep.wsse import utils as wsse_utils
from zeep.wsse.username import UsernameToken

from ..support.wsse import (
    GET_LEAD_SOURCES,
    SAVE_PETE,
    envelope,
    live_secure_app,
    people_count,
    post,
    security_xml,
    timestamp_xml,
    token_xml,
    utc_text,
)


@pytest.fixture
def live(engine, uow_factory, world, tmp_path):
    with live_secure_app(engine, uow_factory, tmp_path, auth_lockout_threshold=50) as live:
        yield live


@pytest.fixture
def acme(live, world):
    return live.credential(world.acme.client_id)


def zeep_client(url: str, wsse) -> zeep.Client:
    return zeep.Client(f"{url}/soap?wsdl", transport=Transport(timeout=10, operation_timeout=10), wsse=wsse)


def zeep_timestamp(seconds: int = 300):
    now = datetime.now(UTC)
    stamp = wsse_utils.WSU.Timestamp()
    stamp.append(wsse_utils.WSU.Created(now.strftime("%Y-%m-%dT%H:%M:%SZ")))
    stamp.append(wsse_utils.WSU.Expires((now + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")))
    return stamp


@pytest.mark.parametrize("options", [
    {},                                                    # PasswordText, no nonce
    {"use_digest": True},                                  # digest, Created with +00:00
    {"use_digest": True, "zulu_timestamp": True},          # digest, Created with Z
    {"use_digest": True, "timestamp_token": "stamp"},      # digest and a wsu:Timestamp
    {"timestamp_token": "stamp"},                          # text and a wsu:Timestamp
], ids=["text", "digest", "digest-zulu", "digest-timestamp", "text-timestamp"])
def test_zeep_usernametoken_authenticates(live, acme, world, options):
    if options.get("timestamp_token"):
        options = {**options, "timestamp_token": zeep_timestamp()}
    client = zeep_client(live.url, UsernameToken(*acme, **options))
    result = client.service.SaveProspect(ClubId=world.acme_club_ids[0],
                                         Prospect={"FirstName": "Pete", "LastName": "Prospect"})
    assert result.Action == "Inserted"
    assert client.service.GetLeadSources() == []


def test_suds_usernametoken_authenticates(live, acme, world):
    client = suds.client.Client(f"{live.url}/soap?wsdl", timeout=10)
    security = suds.wsse.Security()
    token = suds.wsse.UsernameToken(*acme)
    token.setnonce()
    token.setcreated()
    security.tokens.append(token)
    client.set_options(wsse=security)
    result = client.service.SaveProspect(world.acme_club_ids[0], {"FirstName": "Sue", "LastName": "Suds"})
    assert result.Action == "Inserted"


@pytest.mark.parametrize(("zulu", "fraction"), [(True, False), (False, False), (True, True), (False, True)],
                         ids=["Z", "+00:00", "Z-fraction", "+00:00-fraction"])
@pytest.mark.parametrize("digest", [False, True], ids=["text", "digest"])
def test_created_forms_authenticate(live, acme, zulu, fraction, digest):
    created = utc_text(zulu=zulu, fraction=fraction)  # now, not when the tests were collected
    answer = post(live.url, envelope(GET_LEAD_SOURCES,
                                     security_xml(token_xml(*acme, digest=digest, created=created))))
    assert (answer.status, answer.fault_code) == (200, None), answer.fault_string


def test_password_without_type_is_text(live, acme):
    answer = post(live.url, envelope(GET_LEAD_SOURCES, security_xml(token_xml(*acme, password_type=None))))
    assert (answer.status, answer.fault_code) == (200, None)


def _refusals(username, password, other_username):
    old = datetime.now(UTC) - timedelta(seconds=301)
    ahead = datetime.now(UTC) + timedelta(seconds=120)
    now = datetime.now(UTC)
    return {
        "no header": ("wsse:InvalidSecurity", []),
        "no Security": ("wsse:InvalidSecurity", ["<tns:Other/>"]),
        "two Security": ("wsse:InvalidSecurity", [security_xml(token_xml(username, password)),
                                                  security_xml(token_xml(username, password))]),
        "no UsernameToken": ("wsse:InvalidSecurity", [security_xml()]),
        "two UsernameTokens": ("wsse:InvalidSecurity", [security_xml(token_xml(username, password),
                                                                     token_xml(username, password))]),
        "two Passwords": ("wsse:InvalidSecurity", [security_xml(token_xml(
            username, password, extra=f"<wsse:Password>{password}</wsse:Password>"))]),
        "two Nonces": ("wsse:InvalidSecurity", [security_xml(token_xml(
            username, password, extra="<wsse:Nonce>AAAAAAAAAAAAAAAAAAAAAA==</wsse:Nonce>"))]),
        "two Created": ("wsse:InvalidSecurity", [security_xml(token_xml(
            username, password, extra=f"<wsu:Created>{utc_text()}</wsu:Created>"))]),
        "unknown Type": ("wsse:InvalidSecurity", [security_xml(token_xml(
            username, password, password_type=f"{username}#PasswordPlain"))]),
        "digest without nonce": ("wsse:InvalidSecurity", [security_xml(token_xml(
            username, password, digest=True, nonce=None))]),
        "digest without Created": ("wsse:InvalidSecurity", [security_xml(token_xml(
            username, password, digest=True, created=None))]),
        "Created with an offset": ("wsse:InvalidSecurity", [security_xml(token_xml(
            username, password, created=now.strftime("%Y-%m-%dT%H:%M:%S+02:00")))]),
        "nonce not base64": ("wsse:InvalidSecurity", [security_xml(token_xml(
            username, password, nonce=None, extra="<wsse:Nonce>%%%</wsse:Nonce>"))]),
        "unknown user": ("wsse:FailedAuthentication", [security_xml(token_xml(other_username, password))]),
        "wrong password": ("wsse:FailedAuthentication", [security_xml(token_xml(username, password + "x"))]),
        "wrong digest": ("wsse:FailedAuthentication", [security_xml(token_xml(
            username, password + "x", digest=True))]),
        "unknown user digest": ("wsse:FailedAuthentication", [security_xml(token_xml(
            other_username, password, digest=True))]),
        "Created too old": ("wsse:MessageExpired", [security_xml(token_xml(
            username, password, digest=True, created=utc_text(old)))]),
        "Created in the future": ("wsse:MessageExpired", [security_xml(token_xml(
            username, password, digest=True, created=utc_text(ahead)))]),
        "Timestamp expired": ("wsse:MessageExpired", [security_xml(
            timestamp_xml(now - timedelta(seconds=60), now - timedelta(seconds=1)),
            token_xml(username, password, digest=True))]),
        "unknown mustUnderstand header": ("MustUnderstand", [
            security_xml(token_xml(username, password)),
            '<tns:Routing soap:mustUnderstand="1">x</tns:Routing>']),
    }


REFUSALS = list(_refusals("u", "p", "o"))


@pytest.mark.parametrize("case", REFUSALS)
def test_refused_request_is_faulted_and_stores_nothing(live, acme, world, uow_factory, case):
    username, password = acme
    code, headers = _refusals(username, password, "nobody-" + username)[case]
    answer = post(live.url, envelope(SAVE_PETE.format(club=world.acme_club_ids[0]), *headers))
    assert answer.status == 500
    assert answer.fault_code == code, answer.fault_string
    assert password not in answer.fault_string
    assert people_count(uow_factory) == 0


def test_unknown_user_and_wrong_password_answer_alike(live, acme):
    username, password = acme
    unknown = post(live.url, envelope(GET_LEAD_SOURCES, security_xml(token_xml("nobody", password))))
    wrong = post(live.url, envelope(GET_LEAD_SOURCES, security_xml(token_xml(username, "wrong"))))
    assert (unknown.status, unknown.fault_code, unknown.fault_string) == (
        wrong.status, wrong.fault_code, wrong.fault_string)


def test_replayed_nonce_is_refused_and_stores_nothing(live, acme, world, uow_factory):
    body = envelope(SAVE_PETE.format(club=world.acme_club_ids[0]), security_xml(token_xml(*acme, digest=True)))
    assert post(live.url, body).fault_code is None
    replay = post(live.url, body)
    assert replay.fault_code == "wsse:MessageExpired"
    assert "replay" in replay.fault_string
    assert people_count(uow_factory) == 1


def _batch(club: int, records: str, extra: str = "") -> str:
    return (f"<tns:SaveProspects><tns:ClubId>{club}</tns:ClubId><tns:Prospects>{records}</tns:Prospects>"
            f"{extra}</tns:SaveProspects>")


_PAT = "<tns:Prospect><tns:ExternalId>{id}</tns:ExternalId><tns:FirstName>Pat</tns:FirstName>" \
       "<tns:LastName>Batch</tns:LastName></tns:Prospect>"
_NO_LAST_NAME = "<tns:Prospect><tns:FirstName>Nola</tns:FirstName></tns:Prospect>"
# A batch's nonce is written with the batch (one transaction): each way a batch can end must
# still leave it recorded, so that the same message is refused as a replay the second time.
_BATCH_ENDINGS = {
    "saved": (lambda club, other: _batch(club, _PAT.format(id="E1") + _PAT.format(id="E2")), None, 2),
    "a record failed": (lambda club, other: _batch(club, _PAT.format(id="E1") + _NO_LAST_NAME), None, 1),
    "AllOrNone undone": (lambda club, other: _batch(club, _PAT.format(id="E1") + _NO_LAST_NAME,
                                                    "<tns:AllOrNone>true</tns:AllOrNone>"), None, 0),
    "a Test batch": (lambda club, other: _batch(club, _PAT.format(id="E1"), "<tns:Test>true</tns:Test>"),
                     None, 0),
    "another client's club": (lambda club, other: _batch(other, _PAT.format(id="E1")), "Client.Forbidden", 0),
    "invalid for the schema": (lambda club, other: _batch(club, _PAT.format(id="E1").replace(
        "<tns:LastName>", "<tns:Bogus>x</tns:Bogus><tns:LastName>")), "Client.Validation", 0),
    "a date out of range": (lambda club, other: _batch(club, _PAT.format(id="E1").replace(
        "</tns:LastName>", "</tns:LastName><tns:ModifiedDate>9999-12-31T23:59:59-05:00</tns:ModifiedDate>")),
        "Client.Validation", 0),
}


@pytest.mark.parametrize("ending", list(_BATCH_ENDINGS))
def test_a_replayed_batch_is_refused_however_the_first_one_ended(live, acme, world, uow_factory, ending):
    make, code, stored = _BATCH_ENDINGS[ending]
    body = envelope(make(world.acme_club_ids[0], world.other_club_ids[0]),
                    security_xml(token_xml(*acme, digest=True)))
    first = post(live.url, body)
    assert first.fault_code == code, first.fault_string
    assert people_count(uow_factory) == stored
    replay = post(live.url, body)
    assert (replay.fault_code, "replay" in replay.fault_string) == ("wsse:MessageExpired", True)
    assert people_count(uow_factory) == stored


def test_a_batch_and_its_nonce_are_committed_together(live, acme, world, engine):
    """One commit per batch request (on SQLite one trip through the writer's queue), not one
    for the nonce and another for the records."""
    commits = []

    def count(connection):
        commits.append(connection)

    event.listen(engine, "commit", count)
    try:
        body = envelope(_batch(world.acme_club_ids[0], _PAT.format(id="C1") + _PAT.format(id="C2")),
                        security_xml(token_xml(*acme, digest=True)))
        assert post(live.url, body).fault_code is None
    finally:
        event.remove(engine, "commit", count)
    assert len(commits) == 1


@pytest.mark.parametrize("operation", ["SaveProspect", "SaveProspects", "GetLeadSources"])
def test_a_wrong_text_password_costs_one_argon2_run_locks_no_username_and_is_logged_with_its_username(
        live, acme, world, uow_factory, monkeypatch, caplog, operation):
    """The hot operations check a token before spyne sees the request: a refusal must not be
    checked a second time on its way to the answer (a guesser would cost the server double)."""
    runs = []
    verify = argon2.PasswordHasher.verify
    monkeypatch.setattr(argon2.PasswordHasher, "verify",
                        lambda self, *args: runs.append(1) or verify(self, *args))
    club = world.acme_club_ids[0]
    bodies = {"SaveProspect": SAVE_PETE.format(club=club), "SaveProspects": _batch(club, _PAT.format(id="W1")),
              "GetLeadSources": GET_LEAD_SOURCES}
    username, password = acme
    with caplog.at_level(logging.INFO, logger="partner_service.requests"):
        answer = post(live.url, envelope(bodies[operation], security_xml(token_xml(username, password + "x"))))
    assert answer.fault_code == "wsse:FailedAuthentication"
    assert len(runs) == 1
    with uow_factory() as uow:  # the failure slows its address down (the front), never the username
        credential = uow.credentials.by_username(username)
        assert (credential.failures, credential.locked_until) == (0, None)
    logged = [r.request for r in caplog.records if getattr(r, "request", {}).get("fault")]
    assert [(r["fault"], r.get("operation"), r.get("username")) for r in logged] == [
        ("wsse:FailedAuthentication", operation, username)]
