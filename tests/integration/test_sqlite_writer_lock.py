"""SQLite writers queue on a lock file: held for exactly one transaction, whatever its end."""

from __future__ import annotations

import fcntl
import os
import threading
from contextlib import nullcontext
from datetime import datetime

import pytest
from argon2 import PasswordHasher
from cryptography.fernet import Fernet
from partner_service.adapters import migrate
from partner_service.adapters.db import make_engine
from partner_service.adapters.secrets import SecretKeeper
from partner_service.domain.credentials import DIGEST, UsernameToken, password_digest
from partner_service.domain.model import Principal
from partner_service.service_layer import credentials, tenants
from partner_service.service_layer.auth import Authenticator
from partner_service.service_layer.staff import list_staff
from partner_service.service_layer.unit_of_work import SqlAlchemyUnitOfWork, session_factory
from sqlalchemy import text


@pytest.fixture
def sqlite(tmp_path):
    path = tmp_path / "partner.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    yield engine, f"{path}-writer.lock", lambda: SqlAlchemyUnitOfWork(session_factory(engine))
    engine.dispose()


def _free(lock_path: str) -> bool:
    """Whether another writer (another open file) could take the lock now."""
    fd = os.open(lock_path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def test_the_lock_is_held_during_a_transaction_and_freed_by_commit_rollback_and_errors(sqlite):
    _, lock_path, uow_factory = sqlite
    tenants.create_client(uow_factory(), "Acme", 1)  # a first transaction creates the file
    for ending in ("commit", "rollback", "error"):
        uow = uow_factory()
        with pytest.raises(RuntimeError) if ending == "error" else nullcontext(), uow:
            uow.clients.get(1)
            assert not _free(lock_path), f"{ending}: held inside the transaction"
            if ending == "commit":
                uow.commit()
            elif ending == "error":
                raise RuntimeError("boom")
        assert _free(lock_path), f"{ending}: freed after the transaction"


def test_a_reader_neither_takes_the_lock_nor_waits_for_a_writer(sqlite):
    """GetStaffList and the like read beside a batch being written, and see what was committed."""
    engine, lock_path, uow_factory = sqlite
    client = tenants.create_client(uow_factory(), "Acme", 1)
    tenants.add_staff(uow_factory(), client.id, "kept@club.com", "Kept", "Staff")
    readers = session_factory(engine, read_only=True)
    with uow_factory() as writer:  # holds the writer lock, as a batch does while it writes
        assert writer.staff.by_email(client.id, "kept@club.com") and not _free(lock_path)
        writer.session.execute(text("UPDATE staff SET first_name = 'Uncommitted'"))
        outcome: list = []
        reader = threading.Thread(target=lambda: outcome.append(
            list_staff(SqlAlchemyUnitOfWork(readers), Principal(client.id, username="acme"))))
        reader.start()
        reader.join(timeout=5)
        assert not reader.is_alive(), "the reader waited for the writer"
        assert [view.first_name for view in outcome[0]] == ["Kept"]
        assert not _free(lock_path)  # still the writer's


def test_a_credential_is_read_beside_a_writer(sqlite):
    """A request whose credential is not cached (every 5 s, and at a worker's start) does not
    queue behind a batch being written: only its nonce and a failure need the writer."""
    engine, lock_path, uow_factory = sqlite
    client = tenants.create_client(uow_factory(), "Acme", 1)
    keeper = SecretKeeper(Fernet.generate_key(), PasswordHasher(memory_cost=1024))
    issued = credentials.add_credential(uow_factory(), keeper, client.id, "acme")
    readers = session_factory(engine, read_only=True)
    authenticator = Authenticator(keeper, reader=lambda: SqlAlchemyUnitOfWork(readers))
    nonce, created = os.urandom(16), "2026-11-28T12:00:00Z"
    token = UsernameToken("acme", password_digest(nonce, created, issued.password), DIGEST, nonce=nonce,
                          created_text=created, created=datetime(2026, 11, 28, 12, 0, 0))
    with uow_factory() as writer:  # holds the writer lock, as a batch does while it writes
        writer.clients.get(client.id)
        assert not _free(lock_path)
        outcome: list = []
        checker = threading.Thread(target=lambda: outcome.append(
            authenticator.check(uow_factory(), token, datetime(2026, 11, 28, 12, 0, 1))))
        checker.start()
        checker.join(timeout=5)
        assert not checker.is_alive(), "the credential's read waited for the writer"
        assert outcome[0].username == "acme"
