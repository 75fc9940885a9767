"""The replay cache is shared: one token sent to two separate server processes on one
PostgreSQL database is accepted once and refused once, even when both arrive together;
alike when the replay cache is a Redis (``PARTNER_REPLAY_CACHE_URL``), and a Redis that
cannot be reached refuses with ``Server.Unavailable`` rather than take the nonce unchecked."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
import requests
from argon2 import PasswordHasher
from partner_service.adapters import migrate
from partner_service.adapters.db import make_engine
from partner_service.adapters.secrets import SecretKeeper
from partner_service.domain.model import Club
from partner_service.service_layer import credentials, tenants
from partner_service.service_layer.unit_of_work import SqlAlchemyUnitOfWork, session_factory
from sqlalchemy import func, select

from ..support import REDIS_URL, postgres_database
from ..support.wsse import GET_LEAD_SOURCES, SAVE_PETE, envelope, fresh_key, post, security_xml, token_xml

ROOT = Path(__file__).resolve().parents[2]
# A separate interpreter serving create_app() configured from the environment alone.
SERVER = """
import sys
from partner_service.app import create_app
from tests.support import serve_in_thread
with serve_in_thread(create_app()) as url:
    print(url, flush=True)
    sys.stdin.read()
"""


@pytest.fixture
def shared_database():
    with postgres_database() as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        yield url, session_factory(engine)
        engine.dispose()


@contextmanager
def servers(count, shared_database, tmp_path, **settings):
    """``count`` server processes on the shared database, and a credential: (urls, username, password)."""
    url, sessions = shared_database
    key = fresh_key()
    env = {**os.environ, "PARTNER_DATABASE_URL": url, "PARTNER_SECRET_KEY": key,
           "PARTNER_DATA_DIR": str(tmp_path), "PARTNER_AUTH_HASH_MEMORY_KIB": "1024",
           **{f"PARTNER_{name.upper()}": value for name, value in settings.items()}}
    processes = [subprocess.Popen([sys.executable, "-c", SERVER], cwd=ROOT, env=env, text=True,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE) for _ in range(count)]
    try:
        urls = [p.stdout.readline().strip() for p in processes]
        assert all(u.startswith("http://") for u in urls), urls
        client = tenants.create_client(SqlAlchemyUnitOfWork(sessions), "Acme Fitness", 1)
        keeper = SecretKeeper(key.encode(), PasswordHasher(memory_cost=1024))
        issued = credentials.add_credential(SqlAlchemyUnitOfWork(sessions), keeper, client.id)
        yield urls, issued.credential.username, issued.password
    finally:
        for process in processes:
            process.stdin.close()
            process.wait(timeout=15)


@pytest.fixture(params=["database", "redis"])
def two_servers(request, shared_database, tmp_path):
    if request.param == "database":
        with servers(2, shared_database, tmp_path) as served:
            yield served
        return
    prefix = f"partner-test:{uuid.uuid4().hex}:"  # this test's own: parallel runs do not collide
    settings = {"replay_cache_url": REDIS_URL, "replay_cache_prefix": prefix}
    with servers(2, shared_database, tmp_path, **settings) as served:
        yield served
    client = redis.Redis.from_url(REDIS_URL)
    remembered = list(client.scan_iter(f"{prefix}*"))
    assert remembered, "the servers did not use the Redis replay cache"
    client.delete(*remembered)
    client.close()


def test_a_token_is_accepted_by_one_process_and_refused_by_the_other(two_servers):
    urls, username, password = two_servers
    for digest in (True, False):
        body = envelope(GET_LEAD_SOURCES, security_xml(token_xml(username, password, digest=digest)))
        first, second = post(urls[0], body), post(urls[1], body)
        assert (first.fault_code, second.fault_code) == (None, "wsse:MessageExpired")


def _newest_club(shared_database) -> int:
    with shared_database[1]() as session:
        return session.scalar(select(func.max(Club.id)))


def _request(operation: str, club: int) -> str:
    if operation == "GetLeadSources":
        return GET_LEAD_SOURCES
    single = SAVE_PETE.format(club=club)
    if operation == "SaveProspect":
        return single
    prospect = single[single.index("<tns:Prospect>"):single.index("</tns:SaveProspect>")]
    return (f"<tns:SaveProspects><tns:ClubId>{club}</tns:ClubId><tns:Prospects>{prospect * 2}"
            "</tns:Prospects></tns:SaveProspects>")


@pytest.mark.parametrize("operation", ["GetLeadSources", "SaveProspect", "SaveProspects"])
def test_a_token_sent_to_both_at_once_is_accepted_once(two_servers, shared_database, operation):
    """SaveProspect is answered beside spyne, its nonce written with the save's own statements
    (PostgreSQL) or in Redis; SaveProspects writes it in the batch's transaction: the same race,
    the same one winner."""
    urls, username, password = two_servers
    request = _request(operation, _newest_club(shared_database))
    for _ in range(5):
        body = envelope(request, security_xml(token_xml(username, password, digest=True)))
        barrier, answers = threading.Barrier(2), []

        def send(url, body=body, barrier=barrier, answers=answers):
            barrier.wait()
            answers.append(post(url, body).fault_code)

        threads = [threading.Thread(target=send, args=(url,)) for url in urls]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(answers, key=str) == sorted([None, "wsse:MessageExpired"], key=str)


def test_an_unreachable_redis_refuses_with_server_unavailable(shared_database, tmp_path):
    with socket.socket() as closed:  # bound, not listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        redis_url = f"redis://127.0.0.1:{closed.getsockname()[1]}/0"
        with servers(1, shared_database, tmp_path, replay_cache_url=redis_url) as (urls, username, password):
            body = envelope(GET_LEAD_SOURCES, security_xml(token_xml(username, password, digest=True)))
            answer = post(urls[0], body)
            readyz = requests.get(f"{urls[0]}/readyz", timeout=10)
    assert answer.fault_code == "Server.Unavailable"
    assert "replay cache" in answer.fault_string and "Retry later" in answer.fault_string
    assert (readyz.status_code, readyz.text) == (503, "replay cache unreachable\n")
