"""Believing a UsernameToken: which credential, which client and clubs, or why not.

Order matters: freshness first (cheap, no lookup), then the password, and the nonce is
recorded only for a token that authenticated, so failed guesses never burn nonces and a
replay of a good message is refused as ``MessageExpired``.

Hot path: a credential row is re-read from the database when the cached copy is older than
``policy.cache_seconds`` (default 5 s): the bound on how long a revocation takes to reach
every process. A grace period ends exactly (its end is in the row), and a password that fails
against a cached row is checked once more against a fresh one, so a new password works at
once. A PasswordText check costs an argon2 run only once per (credential version, secret,
password) per process: later checks hit a small LRU keyed by an HMAC under a per-process
random key, never the password.

The nonce goes to ``uow.nonces`` (the database table, in the same transaction as the
bookkeeping) unless a separate ``nonces`` store is given (Redis): then a request whose
credential needs no bookkeeping opens no database transaction at all.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from ..domain.credentials import (
    DIGEST,
    FAILED,
    AuthPolicy,
    Credential,
    SecretRecord,
    UsernameToken,
    check_freshness,
    password_digest,
    replay_window_end,
)
from ..domain.errors import SecurityRefused
from ..domain.model import Principal
from .unit_of_work import UnitOfWork


class Secrets(Protocol):
    """What ``adapters.secrets.SecretKeeper`` offers the service layer."""

    dummy_secret: str

    def seal(self, password: str) -> SecretRecord: ...
    def unseal(self, record: SecretRecord) -> str: ...
    def verify_text(self, record: SecretRecord | None, password: str) -> bool: ...
    def cache_key(self, *parts: str) -> bytes: ...


class _Bounded:
    """A thread-safe LRU of at most ``size`` entries."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def pop(self, key) -> None:
        with self._lock:
            self._items.pop(key, None)


def nonce_key(username: str, nonce: bytes) -> str:
    return hashlib.sha256(username.encode("utf-8") + b"\0" + nonce).hexdigest()


class NonceStore(Protocol):
    """A replay cache outside the unit of work (``adapters.redis_nonces.RedisNonceCache``)."""

    def remember(self, key: str, until: datetime, now: datetime) -> bool: ...
    def ping(self) -> bool: ...


class Authenticator:
    """``authenticate(uow, token, now)`` -> ``Principal`` or ``SecurityRefused``."""

    def __init__(self, secrets: Secrets, policy: AuthPolicy | None = None,
                 monotonic: Callable[[], float] = time.monotonic, cache_size: int = 1024,
                 nonces: NonceStore | None = None, reader: Callable[[], UnitOfWork] | None = None):
        self.secrets = secrets
        self.policy = policy or AuthPolicy()
        self.nonces = nonces                    # None: the database's table, via the unit of work
        # Read-only units of work for the credential row: on SQLite a reader does not queue for
        # the single writer (which a batch holds for a long while). None: the caller's unit of work.
        self.reader = reader
        self._monotonic = monotonic
        self._rows = _Bounded(cache_size)       # username -> (read at, Credential or None)
        self._verified = _Bounded(cache_size)   # HMAC of a good text check -> True

    def authenticate(self, uow: UnitOfWork, token: UsernameToken, now: datetime) -> Principal:
        credential = self.check(uow, token, now)
        self._accept(uow, credential, token, now)
        return credential.principal()

    def check(self, uow: UnitOfWork, token: UsernameToken, now: datetime) -> Credential:
        """The credential the token opens, writing nothing (no nonce): for a caller that then
        writes ``nonce_record(...)`` in its own transaction. A token that does not open is refused
        here exactly as ``authenticate`` refuses it: one password check per request, never a
        second one to refuse it. No username is ever locked (a guesser would lock out its
        owner): failures slow down their source address instead (``throttle``, in the front)."""
        credential, opened = self._open(uow, token, now)
        if not opened:
            raise SecurityRefused("FailedAuthentication", FAILED)
        return credential

    def nonce_record(self, credential: Credential, token: UsernameToken, now: datetime) -> NonceRecord:
        """What ``authenticate`` writes for a token that opened, for the caller to write with its
        own save: ``write(uow)`` inside an open unit of work, or ``database_nonce()`` for a save
        that writes the nonce in a statement of its own making."""
        return NonceRecord(self, credential, token, now)

    def _open(self, uow: UnitOfWork, token: UsernameToken, now: datetime) -> tuple[Credential | None, bool]:
        check_freshness(token, now, self.policy)
        credential, cached = self._credential(uow, token.username)
        opened = self._opens(credential, token, now)
        if not opened and cached:
            # The cached row may predate a rotation or a new credential: ask the database
            # once more, and check again only against a row that changed; otherwise every
            # guess would cost two argon2 runs.
            fresh, _ = self._credential(uow, token.username, fresh=True)
            unchanged = fresh is None if credential is None else credential.checks_alike(fresh)
            credential = fresh
            if not unchanged:
                opened = self._opens(credential, token, now)
        return credential, opened

    def _opens(self, credential: Credential | None, token: UsernameToken, now: datetime) -> bool:
        usable = credential is not None and credential.active
        return self._check(credential if usable else None, token, now)

    # --- the credential row, cached for at most policy.cache_seconds ------------------------

    def _credential(self, uow: UnitOfWork, username: str,
                    fresh: bool = False) -> tuple[Credential | None, bool]:
        """The credential of that username (None: no such), and whether it came from the cache."""
        cached = None if fresh else self._rows.get(username)
        if cached is not None and self._monotonic() - cached[0] < self.policy.cache_seconds:
            return cached[1], True
        with self.reader() if self.reader else uow as reading:
            credential = reading.credentials.detached(username)
        self._rows.put(username, (self._monotonic(), credential))
        return credential, False

    # --- passwords -----------------------------------------------------------------------

    def _check(self, credential: Credential | None, token: UsernameToken, now: datetime) -> bool:
        """True when a secret of the credential opens the token; alike in cost when there is none."""
        secrets = credential.secrets(now) if credential else [("none", None)]
        matched = False
        for slot, record in secrets:
            if token.password_type == DIGEST:
                password = self.secrets.unseal(record) if record else self.secrets.dummy_secret
                expected = password_digest(token.nonce, token.created_text, password)
                ok = hmac.compare_digest(expected.encode(), token.password.encode("utf-8"))
            else:
                key = self._verified_key(credential, slot, token.password) if record else None
                ok = bool(key and self._verified.get(key)) or self.secrets.verify_text(record, token.password)
                if ok and key:
                    self._verified.put(key, True)
            matched = matched or (ok and record is not None)
        return matched

    def _verified_key(self, credential: Credential, slot: str, password: str) -> bytes:
        return self.secrets.cache_key(str(credential.id), str(credential.version), slot, password)

    # --- success -------------------------------------------------------------------------

    def _accept(self, uow: UnitOfWork, credential: Credential, token: UsernameToken, now: datetime) -> None:
        if self.nonces is not None and not credential.needs_bookkeeping(now):
            if token.nonce is not None:
                self._remember(self.nonces, credential, token, now)  # Redis: no transaction needed
            return
        if token.nonce is None and not credential.needs_bookkeeping(now):
            return  # nothing to write: no transaction at all
        with uow:
            self.nonce_record(credential, token, now).write(uow)
            uow.commit()

    def _remember(self, nonces: NonceStore, credential: Credential, token: UsernameToken,
                  now: datetime) -> None:
        key = nonce_key(credential.username, token.nonce)
        if not nonces.remember(key, replay_window_end(token, now, self.policy), now):
            raise replayed()


class NonceRecord:
    """The writes that accept one opened token: its nonce, and the credential's last use once a
    minute (``record_nonce`` of a ``PeopleStore`` writes them with the request's save).

    Contract: ``write(uow)`` writes them inside the caller's open unit of work (committed with
    it); ``database_nonce()`` hands the nonce to a store that writes it in a statement of its
    own. Once the store reports the nonce durable (``recorded()``), neither writes it again: a
    save retried after its nonce was committed must not be taken for its own replay. Written
    again after a rollback, it writes again what the rollback undid; a nonce kept outside the
    database (Redis) is remembered once, since no rollback undoes it.
    """

    def __init__(self, authenticator: Authenticator, credential: Credential, token: UsernameToken,
                 now: datetime):
        self.authenticator, self.credential, self.token, self.now = authenticator, credential, token, now
        self._remembered_outside = False
        self._recorded = False

    def write(self, uow: UnitOfWork) -> None:
        auth, credential, token, now = self.authenticator, self.credential, self.token, self.now
        if self._recorded:
            return
        if token.nonce is not None and auth.nonces is None:
            auth._remember(uow.nonces, credential, token, now)
        elif token.nonce is not None:
            self._remember_outside()
        if credential.needs_bookkeeping(now):
            uow.credentials.get(credential.id).register_success(now)
            credential.register_success(now)  # the cached copy too, to write once a minute

    def recorded(self, fresh: bool = True) -> None:
        """The store's answer for the nonce it wrote: committed, so never written again; or
        seen before (``fresh`` False), which refuses the request as a replay."""
        if not fresh:
            raise replayed()
        self._recorded = True

    @property
    def needs_transaction(self) -> bool:
        """Whether the credential's row must be written too (``write(uow)`` then)."""
        return not self._recorded and self.credential.needs_bookkeeping(self.now)

    def database_nonce(self) -> tuple[str, datetime, datetime] | None:
        """For a store writing the nonce itself: ``(key, keep until, now)`` to insert into the
        database's replay cache (as ``NonceCache.remember``), or None when there is nothing to
        insert there: no nonce, one recorded already, or one remembered outside (Redis) by this
        call, which raises ``SecurityRefused`` for a replay. Only when not ``needs_transaction``."""
        auth, token = self.authenticator, self.token
        if token.nonce is None or self._recorded:
            return None
        if auth.nonces is not None:
            self._remember_outside()
            return None
        return (nonce_key(self.credential.username, token.nonce),
                replay_window_end(token, self.now, auth.policy), self.now)

    def _remember_outside(self) -> None:
        if not self._remembered_outside:
            self.authenticator._remember(self.authenticator.nonces, self.credential, self.token, self.now)
            self._remembered_outside = True


def replayed() -> SecurityRefused:
    return SecurityRefused("MessageExpired", "This wsse:Nonce was used before (a replay).")


__all__ = ["NonceRecord", "Authenticator", "NonceStore", "nonce_key", "replayed"]
