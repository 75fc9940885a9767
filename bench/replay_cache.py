"""The cost of the WS-Security check alone, with the nonce replay cache in the database (the
default) and in Redis, in one process against a fresh PostgreSQL database: the part of a
request that ``PARTNER_REPLAY_CACHE_URL`` changes, without HTTP, XML or the save around it.

    .venv/bin/python -m bench.replay_cache --requests 1500 --redis-url redis://127.0.0.1:6379/0
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from datetime import UTC, datetime

from partner_service.adapters.db import make_engine
from partner_service.adapters.redis_nonces import RedisNonceCache
from partner_service.config import Settings
from partner_service.domain.credentials import DIGEST, UsernameToken, password_digest
from partner_service.security import auth_policy, secret_keeper
from partner_service.service_layer.auth import Authenticator
from partner_service.service_layer.unit_of_work import SqlAlchemyUnitOfWork, session_factory

from .seed import database, seed


def _token(username: str, password: str) -> tuple[UsernameToken, datetime]:
    now = datetime.now(UTC).replace(tzinfo=None)
    created, nonce = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), os.urandom(16)
    return UsernameToken(username, password_digest(nonce, created, password), DIGEST, nonce=nonce,
                         created_text=created, created=now), now


def mean_ms(authenticator: Authenticator, sessions, info: dict, requests: int) -> float:
    """Mean wall time of one authentication with a fresh nonce (after 50 unmeasured)."""
    total = 0.0
    for n in range(requests + 50):
        token, now = _token(info["username"], info["password"])
        started = time.perf_counter()
        authenticator.authenticate(SqlAlchemyUnitOfWork(sessions), token, now)
        total += time.perf_counter() - started if n >= 50 else 0.0
    return 1000 * total / requests


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=2, help="alternations of the two caches")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    options = parser.parse_args(argv)
    with database("postgresql", None) as url:
        info = seed(url, staff=1)
        settings = Settings.from_env({"PARTNER_SECRET_KEY": info["env"]["PARTNER_SECRET_KEY"]})
        engine = make_engine(url)
        redis_cache = RedisNonceCache(options.redis_url, f"partner-bench:{uuid.uuid4().hex[:8]}:")
        try:
            for _ in range(options.rounds):
                for name, nonces in (("database", None), ("redis", redis_cache)):
                    authenticator = Authenticator(secret_keeper(settings), auth_policy(settings), nonces=nonces)
                    ms = mean_ms(authenticator, session_factory(engine), info, options.requests)
                    print(f"{name:9} {ms:6.3f} ms per authentication (mean of {options.requests})", flush=True)
        finally:
            redis_cache.close()
            engine.dispose()


if __name__ == "__main__":
    main()
