"""Credentials and the shared nonce replay cache, in the same database as everything else.

The replay cache is a table with the nonce's key as primary key: the database's unique
check is what makes "seen once" hold across every worker and host. Expired rows are
purged by whoever inserts, when the app's ``PurgeSchedule`` says so.
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


class PurgeSchedule:
    """When expired nonces are next deleted: at most once per ``every`` seconds for one app
    (its stores and units of work share one schedule), the first time ``every`` seconds after
    it was made. Owned by the app, never by the process, so tests do not share it."""

    def __init__(self, every: float = 60.0, monotonic=time.monotonic):
        self.every, self._monotonic = every, monotonic
        self._last = monotonic()
        self._lock = threading.Lock()

    def due(self) -> bool:
        """True at most once per ``every`` seconds, for whoever then deletes the expired rows."""
        with self._lock:
            if self._monotonic() - self._last < self.every:
                return False
            self._last = self._monotonic()
            return True


class NonceCache:
    """``remember(key, until, now)`` is True the first time a key is seen, False after.
    Expired keys are deleted when the session's ``PurgeSchedule`` (``session.info["nonce_purge"]``,
    from ``unit_of_work.session_factory``) says so."""

    def __init__(self, session: Session):
        self.session = session

    def remember(self, key: str, until: datetime, now: datetime) -> bool:
        # On the DBAPI connection, inside the session's transaction: see driver_sql.
        connection = self.session.connection()
        sql = DIALECTS[connection.dialect.name]
        def run(statement, parameters):
            return sql.execute(connection, statement, parameters)
        schedule = self.session.info.get("nonce_purge")
        if schedule is not None and schedule.due():
            run(sql.purge_nonces, (sql.value(now),))
        return sql.remember_nonce_with(run, key, until, now)


__all__ = ["CredentialRepository", "NonceCache", "PurgeSchedule", "credentials", "credential_clubs",
           "seen_nonces"]
