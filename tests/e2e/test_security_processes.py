"""The replay cache is shared: one token sent to two separate server processes on one
PostgreSQL database is accepted once and refused once, even when both arrive together."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from partner_service.adapters import migrate
from partner_service.adapters.db import make_engine
from partner_service.adapters.secrets import SecretKeeper
from partner_service.service_layer import credentials, tenants
from partner_service.service_layer.unit_of_work import SqlAlchemyUnitOfWork, session_factory

from ..support import postgres_database
from .wsse_support import GET_LEAD_SOURCES, envelope, fresh_key, post, security_xml, token_xml

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


@pytest.fixture
def two_servers(shared_database, tmp_path):
    url, sessions = shared_database
    key = fresh_key()
    env = {**os.environ, "PARTNER_DATABASE_URL": url, "PARTNER_SECRET_KEY": key,
           "PARTNER_DATA_DIR": str(tmp_path), "PARTNER_AUTH_HASH_MEMORY_KIB": "1024"}
    processes = [subprocess.Popen([sys.executable, "-c", SERVER], cwd=ROOT, env=env, text=True,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE) for _ in range(2)]
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


def test_a_token_is_accepted_by_one_process_and_refused_by_the_other(two_servers):
    urls, username, password = two_servers
    for digest in (True, False):
        body = envelope(GET_LEAD_SOURCES, security_xml(token_xml(username, password, digest=digest)))
        first, second = post(urls[0], body), post(urls[1], body)
        assert (first.fault_code, second.fault_code) == (None, "wsse:MessageExpired")


def test_a_token_sent_to_both_at_once_is_accepted_once(two_servers):
    urls, username, password = two_servers
    for _ in range(5):
        body = envelope(GET_LEAD_SOURCES, security_xml(token_xml(username, password, digest=True)))
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
