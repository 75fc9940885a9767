"""A unit of work rolls back unless ``commit()`` was called inside it.

The database's errors are translated as the stores' autocommitted statements translate them
(``adapters.database_errors``): a lost race is ``Conflict``, an unreachable database
``Unavailable``.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from ..adapters import credential_store, demo_rows, people_rows, repository
from ..adapters.database_errors import UNAVAILABLE, conflicts_raised, raise_translated
from ..adapters.db import read_only_engine
from ..adapters.people_postgresql import PostgresPeopleRows
from ..adapters.people_sqlite import SqlitePeopleRows

log = logging.getLogger(__name__)
# Each engine's set-based people rows (batches and locking saves), by dialect name.
_PEOPLE_ROWS = {"postgresql": PostgresPeopleRows, "sqlite": SqlitePeopleRows}

class UnitOfWork(Protocol):
    clients: repository.ClientRepository
    people: repository.PeopleRepository
    clubs: repository.ClubRepository
    staff: repository.StaffRepository
    lead_sources: repository.LeadSourceRepository
    credentials: credential_store.CredentialRepository
    nonces: credential_store.NonceCache
    people_rows: people_rows.PeopleRows
    demo_rows: demo_rows.DemoRows

    def __enter__(self) -> UnitOfWork: ...
    def __exit__(self, *exc) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def savepoint(self): ...
    def flush(self) -> None: ...


class SqlAlchemyUnitOfWork:
    def __init__(self, session_factory: sessionmaker[Session]):
        self.session_factory = session_factory

    def __enter__(self) -> SqlAlchemyUnitOfWork:
        self.committing = False
        self.session = self.session_factory()
        self.clients = repository.ClientRepository(self.session)
        self.people = repository.PeopleRepository(self.session)
        self.clubs = repository.ClubRepository(self.session)
        self.staff = repository.StaffRepository(self.session)
        self.lead_sources = repository.LeadSourceRepository(self.session)
        self.credentials = credential_store.CredentialRepository(self.session)
        self.nonces = credential_store.NonceCache(self.session)
        people_rows_of_engine = self.session.info.get("people_rows")  # chosen by ``session_factory``
        self.people_rows = people_rows_of_engine(self.session) if people_rows_of_engine else None
        self.demo_rows = demo_rows.DemoRows(self.session)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.rollback()
        except UNAVAILABLE:
            pass
        finally:
            self.session.close()
        if exc is not None:
            raise_translated(exc, self.committing)

    def commit(self) -> None:
        self._refuse_if_read_only()
        self.committing = True
        with conflicts_raised():
            self.session.commit()
        self.committing = False

    def rollback(self) -> None:
        self.session.rollback()

    def flush(self) -> None:
        self._refuse_if_read_only()
        with conflicts_raised():
            self.session.flush()

    def _refuse_if_read_only(self) -> None:
        if self.session.info.get("read_only"):
            raise RuntimeError("a read-only unit of work cannot write (session_factory(read_only=True))")

    @contextmanager
    def savepoint(self):
        """Undo one record's work without losing the rest of the transaction."""
        with conflicts_raised(), self.session.begin_nested():
            yield


def session_factory(engine, read_only: bool = False,
                    nonce_purge: credential_store.PurgeSchedule | None = None) -> sessionmaker[Session]:
    """Sessions for units of work; ``read_only`` for those that only read (listings, lookups),
    which then neither queue for SQLite's writer nor may write (``db.read_only_engine``).
    The factory's sessions share one cache of clubs and one ``PurgeSchedule`` (``nonce_purge``,
    a new one unless given): state of this factory, never of the process."""
    # expire_on_commit=False: results are read after commit without another round trip.
    info = {"read_only": read_only, "nonce_purge": nonce_purge or credential_store.PurgeSchedule(),
            "known_clubs": {}, "people_rows": _PEOPLE_ROWS[engine.dialect.name]}
    return sessionmaker(bind=read_only_engine(engine) if read_only else engine, expire_on_commit=False,
                        autoflush=False, info=info)
