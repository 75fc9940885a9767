"""Credentials and the shared nonce replay cache, in the same database as everything else.

The replay cache is a table with the nonce's key as primary key: the database's unique
check is what makes "seen once" hold across every worker and host. Expired rows are
purged by whoever inserts, at most once a minute per process.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.credentials import Credential
from .driver_sql import DIALECTS
from .orm import credential_clubs, credentials, seen_nonces


class CredentialRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, credential: Credential) -> None:
        self.session.add(credential)

    def get(self, credential_id: int) -> Credential | None:
        return self.session.get(Credential, credential_id)

    def by_username(self, username: str) -> Credential | None:
        return self.session.scalars(select(Credential).where(Credential.username == username)).one_or_none()

    def detached(self, username: str) -> Credential | None:
        """The credential and its clubs cut loose from the session, to be cached past its end
        (a rollback expires what a session holds; a detached copy keeps its loaded values)."""
        credential = self.by_username(username)
        if credential is not None:
            for club in credential.clubs:
                self.session.expunge(club)
            self.session.expunge(credential)
        return credential

    def for_client(self, client_id: int | None = None) -> list[Credential]:
        query = select(Credential).order_by(Credential.id)
        if client_id is not None:
            query = query.where(Credential.client_id == client_id)
        return list(self.session.scalars(query))


class NonceCache:
    """``remember(key, until, now)`` is True the first time a key is seen, False after."""

    PURGE_EVERY = 60.0
    _last_purge = 0.0
    _lock = threading.Lock()

    def __init__(self, session: Session):
        self.session = session

    def remember(self, key: str, until: datetime, now: datetime) -> bool:
        # On the DBAPI connection, inside the session's transaction: see driver_sql.
        connection = self.session.connection()
        sql = DIALECTS[connection.dialect.name]
        def run(statement, parameters):
            return sql.execute(connection, statement, parameters)
        if NonceCache.purge_due(self.PURGE_EVERY):
            run(sql.purge_nonces, (sql.value(now),))
        return sql.remember_nonce_with(run, key, until, now)

    @staticmethod
    def purge_due(every: float = PURGE_EVERY) -> bool:
        """True at most once per ``every`` seconds in this process, for whoever then deletes
        the expired rows (here, or ``people_statements`` for the saves it admits)."""
        with NonceCache._lock:
            if time.monotonic() - NonceCache._last_purge < every:
                return False
            NonceCache._last_purge = time.monotonic()
            return True


__all__ = ["CredentialRepository", "NonceCache", "credentials", "credential_clubs", "seen_nonces"]
