"""The optional Redis replay cache against a real Redis: seen once, expiry, sharing, outage."""

from __future__ import annotations

import socket
import time
import uuid
from datetime import datetime, timedelta

import pytest
from partner_service.adapters.redis_nonces import RedisNonceCache
from partner_service.domain.errors import Unavailable

from ..support import REDIS_URL

NOW = datetime(2026, 11, 28, 12, 0, 0)


@pytest.fixture
def prefix():
    return f"partner-test:{uuid.uuid4().hex[:12]}:"


@pytest.fixture
def caches(prefix):
    """Two caches with their own connection pools: two processes' worth of clients."""
    made = [RedisNonceCache(REDIS_URL, prefix) for _ in range(2)]
    yield made
    for key in made[0].client.scan_iter(f"{prefix}*"):
        made[0].client.delete(key)
    for cache in made:
        cache.close()


def test_a_nonce_is_new_once_then_refused(caches):
    cache = caches[0]
    until = NOW + timedelta(seconds=300)
    assert cache.remember("k" * 64, until, NOW)
    assert not cache.remember("k" * 64, until, NOW)
    assert not cache.remember("k" * 64, until, NOW + timedelta(seconds=1))
    assert cache.remember("j" * 64, until, NOW)


def test_a_nonce_is_forgotten_when_its_window_ends(caches, prefix):
    cache = caches[0]
    assert cache.remember("short", NOW + timedelta(milliseconds=300), NOW)
    assert 0 < cache.client.pttl(f"{prefix}short") <= 300
    assert not cache.remember("short", NOW + timedelta(milliseconds=300), NOW)
    time.sleep(0.5)
    assert cache.remember("short", NOW + timedelta(milliseconds=300), NOW)


def test_the_key_is_the_callers_hash_under_the_prefix_never_more(caches, prefix):
    caches[0].remember("a" * 64, NOW + timedelta(seconds=300), NOW)
    assert [k.decode() for k in caches[0].client.scan_iter(f"{prefix}*")] == [f"{prefix}{'a' * 64}"]


def test_two_clients_share_what_they_have_seen(caches):
    first, second = caches
    until = NOW + timedelta(seconds=300)
    assert first.remember("shared", until, NOW)
    assert not second.remember("shared", until, NOW)
    assert second.remember("other", until, NOW)
    assert not first.remember("other", until, NOW)


def test_an_unreachable_redis_is_unavailable_never_new(prefix):
    with socket.socket() as closed:  # bound, not listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        cache = RedisNonceCache(f"redis://127.0.0.1:{port}/0", prefix, timeout=1.0)
        started = time.monotonic()
        with pytest.raises(Unavailable, match="replay cache .*cannot be reached") as caught:
            cache.remember("k" * 64, NOW + timedelta(seconds=300), NOW)
    assert caught.value.code == "Server.Unavailable"
    assert time.monotonic() - started < 3
