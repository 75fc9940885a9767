"""Credentials over time, against the running app: revocation within the documented bound,
rotation with a grace period, and failures that slow down their source address, never the
username's owner."""

from __future__ import annotations

import http.client
import ipaddress
import time
from urllib.parse import urlsplit

import pytest
from lxml import etree
from partner_service.service_layer import credentials

from ..support.wsse import GET_LEAD_SOURCES, SOAP, envelope, live_secure_app, post, security_xml, token_xml

CACHE_SECONDS = 2


def call(live, username, password, digest=True):
    token = token_xml(username, password, digest=digest)
    return post(live.url, envelope(GET_LEAD_SOURCES, security_xml(token)))


@pytest.fixture
def live(engine, uow_factory, world, tmp_path):
    with live_secure_app(engine, uow_factory, tmp_path, auth_cache_seconds=CACHE_SECONDS,
                         auth_lockout_threshold=3, auth_lockout_seconds=2, auth_lockout_max_seconds=4) as live:
        yield live


@pytest.mark.parametrize("digest", [True, False], ids=["digest", "text"])
def test_revoked_credential_is_refused_within_the_cache_bound(live, world, uow_factory, digest):
    username, password = live.credential(world.acme.client_id)
    assert call(live, username, password, digest).fault_code is None  # now cached in the app
    credentials.revoke_credential(uow_factory(), username)
    revoked_at = time.monotonic()
    while call(live, username, password, digest).fault_code is None:
        assert time.monotonic() - revoked_at < CACHE_SECONDS + 0.5, "still accepted after the bound"
        time.sleep(0.1)
    assert call(live, username, password, digest).fault_code == "wsse:FailedAuthentication"


def test_rotation_accepts_both_secrets_in_grace_and_only_the_new_after(live, world, uow_factory):
    username, old = live.credential(world.acme.client_id)
    assert call(live, username, old).fault_code is None  # the old row is now cached
    new = credentials.rotate_credential(uow_factory(), live.keeper, username, grace_seconds=3).password
    assert call(live, username, new).fault_code is None   # at once, despite the cached row
    assert call(live, username, old, digest=False).fault_code is None
    assert call(live, username, old).fault_code is None
    time.sleep(3.2)
    assert call(live, username, old).fault_code == "wsse:FailedAuthentication"
    assert call(live, username, old, digest=False).fault_code == "wsse:FailedAuthentication"
    assert call(live, username, new).fault_code is None


def call_from(live, source: str, username: str, password: str, digest: bool = True,
              **headers) -> tuple[str | None, str, str | None]:
    """``(fault code, fault string, Retry-After)`` of a GetLeadSources sent from ``source`` (a
    loopback address of the caller's choosing)."""
    parts = urlsplit(live.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=15, source_address=(source, 0))
    body = envelope(GET_LEAD_SOURCES, security_xml(token_xml(username, password, digest=digest)))
    try:
        connection.request("POST", "/soap", body=body, headers={"Content-Type": "text/xml; charset=utf-8",
                                                                **headers})
        response = connection.getresponse()
        xml = etree.fromstring(response.read())
        code = xml.findtext(f".//{{{SOAP}}}Fault/faultcode")
        return (code.split(":")[-1] if code else None, xml.findtext(f".//{{{SOAP}}}Fault/faultstring") or "",
                response.getheader("Retry-After"))
    finally:
        connection.close()


def test_a_guesser_slows_down_its_own_address_and_never_locks_out_the_owner(live, world):
    """Issue 19 item 2: wrong digests for the Connector's username, sent all along from another
    address, never refuse the Connector's right ones (digest or text); the guesser waits."""
    username, password = live.credential(world.acme.client_id)
    owner, guesser = "127.0.0.2", "127.0.0.3"
    refusals = []
    for n in range(8):
        # A forged X-Forwarded-For does not make the guesser someone else (no trusted proxy).
        refusals.append(call_from(live, guesser, username, "guess", **{"X-Forwarded-For": f"198.51.100.{n}"}))
        assert call_from(live, owner, username, password, digest=n % 2 == 0)[0] is None
    assert [code for code, _, _ in refusals] == ["FailedAuthentication"] * 8
    assert [retry is not None for _, _, retry in refusals] == [False] * 3 + [True] * 5
    assert "Too many failed authentications from this address" in refusals[-1][1]
    assert call_from(live, guesser, username, password)[0] == "FailedAuthentication"  # waits, even when right
    time.sleep(float(refusals[-1][2]) + 0.2)
    assert call_from(live, guesser, username, password)[0] is None  # a wait, not a ban


def test_the_throttle_counts_the_address_a_trusted_proxy_names(engine, uow_factory, world, tmp_path):
    with live_secure_app(engine, uow_factory, tmp_path, auth_lockout_threshold=2, auth_lockout_seconds=30,
                         trusted_proxies=(ipaddress.ip_network("127.0.0.1/32"),)) as live:
        username, password = live.credential(world.acme.client_id)
        for _ in range(3):
            call_from(live, "127.0.0.1", username, "guess", **{"X-Forwarded-For": "198.51.100.7"})
        assert call_from(live, "127.0.0.1", username, password, **{"X-Forwarded-For": "198.51.100.7"})[2]
        # Another caller behind the same proxy, and the proxy's own address, are not slowed down.
        other = {"X-Forwarded-For": "198.51.100.8"}
        assert call_from(live, "127.0.0.1", username, password, **other)[0] is None
        assert call_from(live, "127.0.0.1", username, password)[0] is None
