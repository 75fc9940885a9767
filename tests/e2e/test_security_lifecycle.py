"""Credentials over time, against the running app: revocation within the documented bound,
rotation with a grace period, and a lockout that ends by itself."""

from __future__ import annotations

import time

import pytest
from partner_service.service_layer import credentials

from .wsse_support import GET_LEAD_SOURCES, envelope, live_secure_app, post, security_xml, token_xml

CACHE_SECONDS = 2


def call(live, username, password, digest=True):
    token = token_xml(username, password, digest=digest)
    return post(live.url, envelope(GET_LEAD_SOURCES, security_xml(token)))


@pytest.fixture
def live(engine, uow_factory, world, tmp_path):
    with live_secure_app(engine, uow_factory, tmp_path, auth_cache_seconds=CACHE_SECONDS,
                         auth_lockout_threshold=3, auth_lockout_seconds=2) as live:
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


def test_repeated_failures_lock_the_username_for_a_while_only(live, world):
    username, password = live.credential(world.acme.client_id)
    for _ in range(3):
        assert call(live, username, "guess").fault_code == "wsse:FailedAuthentication"
    locked = call(live, username, password)
    assert locked.fault_code == "wsse:FailedAuthentication"   # even the right password, while locked
    assert "lock" not in locked.fault_string.lower()           # and it does not say so
    time.sleep(2.2)
    assert call(live, username, password).fault_code is None
