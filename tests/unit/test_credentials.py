"""Credential rules and the authenticator, over in-memory fakes (no database, no socket)."""

from __future__ import annotations

import copy
import os
from datetime import datetime, timedelta

import pytest
from argon2 import PasswordHasher
from cryptography.fernet import Fernet
from lxml import etree
from partner_service.adapters.secrets import SecretKeeper
from partner_service.domain.credentials import (
    DIGEST,
    TEXT,
    AuthPolicy,
    Credential,
    SecretRecord,
    UsernameToken,
    check_freshness,
    password_digest,
)
from partner_service.domain.errors import SecurityRefused
from partner_service.domain.model import Club
from partner_service.service_layer.auth import Authenticator
from zeep.wsse.username import UsernameToken as ZeepToken

NOW = datetime(2026, 11, 28, 12, 0, 0)
POLICY = AuthPolicy(cache_seconds=5)
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"


class CountingHasher(PasswordHasher):
    """A cheap argon2 that counts its verifications (the expensive call on the hot path)."""

    def __init__(self):
        super().__init__(memory_cost=64, time_cost=1, parallelism=1)
        self.verifications = 0

    def verify(self, hash, password):  # noqa: A002 - argon2's own parameter name
        self.verifications += 1
        return super().verify(hash, password)


class FakeCredentials:
    def __init__(self):
        self.items: dict[int, Credential] = {}
        self.reads = 0

    def add(self, credential):
        credential.id = len(self.items) + 1
        self.items[credential.id] = credential

    def get(self, credential_id):
        return self.items.get(credential_id)

    def by_username(self, username):
        return next((c for c in self.items.values() if c.username == username), None)

    def detached(self, username):
        self.reads += 1
        return copy.copy(self.by_username(username))


class FakeNonces:
    def __init__(self):
        self.seen: dict[str, datetime] = {}

    def remember(self, key, until, now):
        if key in self.seen and self.seen[key] > now:
            return False
        self.seen[key] = until
        return True


class FakeUow:
    def __init__(self):
        self.credentials = FakeCredentials()
        self.nonces = FakeNonces()
        self.commits = 0
        self.transactions = 0

    def __enter__(self):
        self.transactions += 1
        return self

    def __exit__(self, *exc):
        pass

    def commit(self):
        self.commits += 1


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture
def hasher():
    return CountingHasher()


@pytest.fixture
def keeper(hasher):
    return SecretKeeper(Fernet.generate_key(), hasher)


@pytest.fixture
def uow(keeper):
    uow = FakeUow()
    club = Club(7, "club")
    club.id = 70
    uow.credentials.add(Credential(7, "acme", keeper.seal("right"), NOW, clubs=[club]))
    return uow


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def auth(keeper, clock):
    return Authenticator(keeper, POLICY, monotonic=clock)


def text(password="right", username="acme", nonce=None):  # noqa: S107
    return UsernameToken(username, password, TEXT, nonce=nonce, created_text="x" if nonce else None,
                         created=NOW if nonce else None)


def digest(password="right", username="acme", nonce=None, created_text="2026-11-28T12:00:00Z"):  # noqa: S107
    nonce = nonce or os.urandom(16)
    return UsernameToken(username, password_digest(nonce, created_text, password), DIGEST, nonce=nonce,
                         created_text=created_text, created=NOW)


def refusal(auth, uow, token, now=NOW) -> SecurityRefused:
    with pytest.raises(SecurityRefused) as caught:
        auth.authenticate(uow, token, now)
    return caught.value


# --- domain rules ---------------------------------------------------------------------------


def test_digest_is_computed_as_zeep_computes_it():
    nonce, created = "nonce-of-16-char", datetime(2026, 11, 28, 12, 0, 0)  # zeep takes the nonce as text
    envelope = etree.Element("{http://schemas.xmlsoap.org/soap/envelope/}Envelope")
    ZeepToken("acme", "p@ss wörd", use_digest=True, nonce=nonce, created=created).apply(envelope, {})
    sent = envelope.find(f".//{{{WSSE}}}Password").text
    created_text = envelope.find(".//{*}Created").text
    assert password_digest(nonce.encode(), created_text, "p@ss wörd") == sent


@pytest.mark.parametrize(("seconds", "fresh"),
                         [(-300, True), (-301, False), (60, True), (61, False), (0, True)])
def test_created_window_is_300_seconds_back_and_60_ahead(seconds, fresh):
    token = UsernameToken("a", "b", TEXT, created=NOW + timedelta(seconds=seconds))
    if fresh:
        check_freshness(token, NOW, AuthPolicy())
    else:
        with pytest.raises(SecurityRefused) as caught:
            check_freshness(token, NOW, AuthPolicy())
        assert caught.value.reason == "MessageExpired"


def test_window_is_settable():
    token = UsernameToken("a", "b", TEXT, created=NOW - timedelta(seconds=100))
    with pytest.raises(SecurityRefused):
        check_freshness(token, NOW, AuthPolicy(max_age=60))


def test_an_expired_timestamp_is_message_expired():
    token = UsernameToken("a", "b", TEXT, expires=NOW)
    with pytest.raises(SecurityRefused) as caught:
        check_freshness(token, NOW, AuthPolicy())
    assert caught.value.reason == "MessageExpired"
    check_freshness(UsernameToken("a", "b", TEXT, expires=NOW + timedelta(seconds=1)), NOW, AuthPolicy())


def test_rotation_keeps_the_previous_secret_for_the_grace_period_only():
    credential = Credential(1, "u", SecretRecord("old", b"o"), NOW)
    credential.rotate(SecretRecord("new", b"n"), NOW, timedelta(seconds=60))
    assert [s.hashed for _, s in credential.secrets(NOW + timedelta(seconds=59))] == ["new", "old"]
    assert [s.hashed for _, s in credential.secrets(NOW + timedelta(seconds=60))] == ["new"]
    assert credential.version == 2


# --- the authenticator ----------------------------------------------------------------------


@pytest.mark.parametrize("make", [text, digest], ids=["text", "digest"])
def test_right_password_gives_the_credentials_client_and_clubs(auth, uow, make):
    principal = auth.authenticate(uow, make(), NOW)
    assert (principal.client_id, principal.club_ids, principal.username) == (7, frozenset({70}), "acme")
    assert uow.credentials.items[1].last_used_at == NOW


def test_argon2_runs_once_per_password_not_per_request(auth, uow, hasher):
    for _ in range(5):
        auth.authenticate(uow, text(), NOW)
    assert hasher.verifications == 1


def test_unknown_user_and_wrong_password_are_alike_in_answer_and_cost(auth, uow, hasher):
    unknown = refusal(auth, uow, text(username="nobody"))
    cost_unknown, hasher.verifications = hasher.verifications, 0
    wrong = refusal(auth, uow, text(password="wrong"))
    assert (unknown.reason, unknown.message) == (wrong.reason, wrong.message) == (
        "FailedAuthentication", wrong.message)
    assert cost_unknown == hasher.verifications == 1
    assert "acme" not in wrong.message and "wrong" not in wrong.message


def test_a_guess_against_a_cached_row_costs_one_check_as_an_unknown_user_does(auth, uow, hasher):
    auth.authenticate(uow, text(), NOW)  # acme's row is cached from here on
    refusal(auth, uow, text(username="nobody"))  # and nobody's absence
    for _ in range(3):  # the third locks acme
        refusal(auth, uow, text(password="guess"))
    for token in (text(password="guess"), text(username="nobody"), digest("guess")):
        hasher.verifications, reads = 0, uow.credentials.reads
        refusal(auth, uow, token)
        # the cached row, then the database's (unchanged): one check, alike for every refusal
        assert (hasher.verifications, uow.credentials.reads - reads) == (
            0 if token.password_type == DIGEST else 1, 1)


def test_revocation_reaches_the_authenticator_within_cache_seconds(auth, uow, clock):
    auth.authenticate(uow, digest(), NOW)
    uow.credentials.items[1].revoke(NOW)
    clock.now = POLICY.cache_seconds - 0.1
    auth.authenticate(uow, digest(), NOW)  # the documented bound: a cached row may still be used
    clock.now = POLICY.cache_seconds
    assert refusal(auth, uow, digest()).reason == "FailedAuthentication"


def test_a_rotated_password_works_at_once_despite_the_cached_row(auth, uow, keeper, clock):
    auth.authenticate(uow, digest(), NOW)
    uow.credentials.items[1].rotate(keeper.seal("fresh"), NOW, timedelta(seconds=60))
    auth.authenticate(uow, digest("fresh"), NOW)
    auth.authenticate(uow, digest("right"), NOW)
    assert refusal(auth, uow, digest("right"), NOW + timedelta(seconds=61)).reason == "FailedAuthentication"


def test_a_nonce_is_accepted_once_and_a_failed_guess_does_not_burn_it(auth, uow):
    nonce = os.urandom(16)
    assert refusal(auth, uow, digest("wrong", nonce=nonce)).reason == "FailedAuthentication"
    auth.authenticate(uow, digest(nonce=nonce), NOW)
    assert refusal(auth, uow, digest(nonce=nonce)).reason == "MessageExpired"


def test_with_a_separate_nonce_store_a_request_opens_no_transaction_for_its_nonce(keeper, clock, uow):
    store = FakeNonces()
    auth = Authenticator(keeper, POLICY, monotonic=clock, nonces=store)
    auth.authenticate(uow, digest(), NOW)  # first use: last_used_at is written once
    opened = uow.transactions
    nonce = os.urandom(16)
    auth.authenticate(uow, digest(nonce=nonce), NOW + timedelta(seconds=1))
    assert refusal(auth, uow, digest(nonce=nonce), NOW + timedelta(seconds=2)).reason == "MessageExpired"
    assert (uow.transactions, uow.commits, uow.nonces.seen) == (opened, 1, {})
    assert len(store.seen) == 2


def test_an_old_token_is_refused_before_any_lookup(auth, uow):
    old = UsernameToken("acme", "right", TEXT, created=NOW - timedelta(seconds=301))
    assert refusal(auth, uow, old).reason == "MessageExpired"
    assert uow.credentials.reads == 0


def test_guesses_at_a_username_never_refuse_its_owner(auth, uow):
    """No username is locked: the owner's right token opens however many guesses came before
    (the guesser's address is slowed down in the WSGI front, ``service_layer.throttle``)."""
    for _ in range(20):
        assert refusal(auth, uow, digest("guess")).reason == "FailedAuthentication"
        assert refusal(auth, uow, text(password="guess")).reason == "FailedAuthentication"
    assert auth.authenticate(uow, digest(), NOW).client_id == 7
    assert auth.authenticate(uow, text(), NOW).client_id == 7


@pytest.mark.parametrize("outside", [False, True])
def test_a_nonce_record_written_again_after_a_rollback_is_not_its_own_replay(keeper, clock, uow, outside):
    """A save retried after a lost race writes its nonce record twice: the database's nonce was
    rolled back with the first try and is written again; Redis's was not, and is not."""
    store = FakeNonces() if outside else None
    auth = Authenticator(keeper, POLICY, monotonic=clock, nonces=store)
    token = digest()
    credential = auth.check(uow, token, NOW)
    nonce = auth.nonce_record(credential, token, NOW)
    nonce.write(uow)
    if not outside:
        uow.nonces.seen.clear()  # what the rollback of the first try undid
    nonce.write(uow)
    assert len((store or uow.nonces).seen) == 1
    with pytest.raises(SecurityRefused) as refused:
        auth.nonce_record(credential, token, NOW).write(uow)  # the same token in another request
    assert refused.value.reason == "MessageExpired"


def test_a_nonce_record_the_store_committed_is_never_written_again_and_a_seen_one_is_a_replay(
        keeper, clock, uow):
    auth = Authenticator(keeper, POLICY, monotonic=clock)
    token = digest()
    nonce = auth.nonce_record(auth.check(uow, token, NOW), token, NOW)
    assert nonce.database_nonce() is not None
    nonce.recorded()
    assert nonce.database_nonce() is None and not nonce.needs_transaction
    nonce.write(uow)
    assert uow.nonces.seen == {}  # committed by the store already: not its own replay
    with pytest.raises(SecurityRefused) as refused:
        auth.nonce_record(auth.check(uow, token, NOW), token, NOW).recorded(fresh=False)
    assert refused.value.reason == "MessageExpired"
