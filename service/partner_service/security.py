"""Putting WS-Security together from settings: server key, policy, authenticator, SOAP hook.

Shared by the app factory (one authenticator per process, so its caches live as long as the
worker) and the command line (which seals secrets with the same key).
"""

from __future__ import annotations

from collections.abc import Callable

from argon2 import PasswordHasher

from .adapters.secrets import SecretKeeper, load_key
from .config import Settings
from .domain.credentials import AuthPolicy
from .entrypoints.soap.wsse import HeaderAuthenticator
from .service_layer.auth import Authenticator, NonceStore


def auth_policy(settings: Settings) -> AuthPolicy:
    return AuthPolicy(max_age=settings.auth_max_age, max_skew=settings.auth_max_skew,
                      cache_seconds=settings.auth_cache_seconds,
                      rotation_grace_seconds=settings.auth_rotation_grace)


def secret_keeper(settings: Settings) -> SecretKeeper:
    key_file = str(settings.secret_key_file) if settings.secret_key_file else ""
    # argon2id, RFC 9106's low-memory choice by default (t=3, p=4, 64 MiB); memory is settable.
    hasher = PasswordHasher(memory_cost=settings.auth_hash_memory_kib)
    return SecretKeeper(load_key(settings.secret_key, key_file, settings.data_dir), hasher)


def replay_cache(settings: Settings) -> NonceStore | None:
    """Redis when ``replay_cache_url`` is set; None: the database's table, in the unit of work."""
    if not settings.replay_cache_url:
        return None
    from .adapters.redis_nonces import RedisNonceCache  # the client library only where it is used

    return RedisNonceCache(settings.replay_cache_url, settings.replay_cache_prefix)


def ws_security(settings: Settings, uow_factory: Callable[[], object],
                nonces: NonceStore | None = None,
                reader: Callable[[], object] | None = None) -> HeaderAuthenticator:
    """The ``authenticate`` hook of ``create_app``: SOAP header elements -> Principal.

    ``nonces``: the replay cache when it is not the database's table (``replay_cache``);
    ``reader``: read-only units of work for reading credentials."""
    authenticator = Authenticator(secret_keeper(settings), auth_policy(settings), nonces=nonces,
                                  reader=reader)
    return HeaderAuthenticator(authenticator, uow_factory)
