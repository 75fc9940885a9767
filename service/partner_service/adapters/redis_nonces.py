"""The nonce replay cache in Redis, for deployments that choose it (``PARTNER_REPLAY_CACHE_URL``).

Same interface as ``credential_store.NonceCache`` and the same keys (the SHA-256 of username
and nonce, never the nonce itself), but outside any database transaction: one
``SET key 1 NX PX <ms>`` round trip per nonce, atomic in Redis, so "seen once" holds for
every worker and host that uses the same Redis. Redis expires the keys itself: no purge.

A Redis that cannot be reached is ``Unavailable`` (``Server.Unavailable``): a nonce that
cannot be checked is never taken as new.
"""

from __future__ import annotations

from datetime import datetime

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from ..domain.errors import Unavailable

UNREACHABLE = ("The replay cache (Redis, PARTNER_REPLAY_CACHE_URL) cannot be reached, so the "
               "wsse:Nonce could not be checked; nothing was done. Retry later.")


class RedisNonceCache:
    """``remember(key, until, now)`` is True the first time a key is seen, False after."""

    def __init__(self, url: str, prefix: str = "partner:nonce:", timeout: float = 2.0):
        self.prefix = prefix
        # The pool connects lazily and reconnects after a fork (gunicorn workers), so building
        # it in the app factory is safe. One immediate retry covers a pooled connection that a
        # Redis restart closed; a timeout bounds how long a request waits for a dead Redis.
        # (Should a retried SET's first reply have been lost, the nonce reads as seen: a false
        # MessageExpired, the safe side.)
        retry = Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,))
        self.client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout,
                                           retry=retry)

    def remember(self, key: str, until: datetime, now: datetime) -> bool:
        # Relative expiry (PX) from the caller's own clock, so Redis's clock does not matter.
        milliseconds = max(1, int((until - now).total_seconds() * 1000))
        try:
            return bool(self.client.set(self.prefix + key, 1, nx=True, px=milliseconds))
        except redis.RedisError as error:
            raise Unavailable(UNREACHABLE) from error

    def ping(self) -> bool:
        """Reachable now? (for ``/readyz``)"""
        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False

    def close(self) -> None:
        self.client.close()


__all__ = ["RedisNonceCache", "UNREACHABLE"]
