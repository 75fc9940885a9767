"""A unit of work rolls back unless ``commit()`` was called inside it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import contextmanager
from typing import Protocol

from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from ..adapters import credential_store, demo_rows, people_rows, repository
from ..adapters.db import read_only_engine
from ..domain.errors import Conflict, Unavailable

log = logging.getLogger(__name__)

# Errors that mean "the database is not there right now", as opposed to a bug or a rule.
_UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)
# PostgreSQL's deadlock_detected and serialization_failure: another transaction won.
_CONTENTION_SQLSTATES = {"40P01", "40001"}


def _conflict(error: BaseException) -> Conflict | None:
    """The database's way of saying another transaction got in first, as a ``Conflict``."""
    if isinstance(error, sa_exc.IntegrityError) or (
            isinstance(error, sa_exc.DBAPIError)
            and getattr(error.orig, "sqlstate", None) in _CONTENTION_SQLSTATES):
        conflict = Conflict("A concurrent save got in the way; nothing was saved. Retry.")
        conflict.__cause__ = error
        log.debug("a concurrent transaction got in first (%s)", type(error).__name__)
        return conflict
    return None


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
        self.people_rows = people_rows.PeopleRows(self.session)
        self.demo_rows = demo_rows.DemoRows(self.session)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.rollback()
        except _UNAVAILABLE:
            pass
        finally:
            self.session.close()
        if exc is not None:
            _raise_translated(exc, self.committing)

    def commit(self) -> None:
        self._refuse_if_read_only()
        self.committing = True
        with _conflicts_raised():
            self.session.commit()
        self.committing = False

    def rollback(self) -> None:
        self.session.rollback()

    def flush(self) -> None:
        self._refuse_if_read_only()
        with _conflicts_raised():
            self.session.flush()

    def _refuse_if_read_only(self) -> None:
        if self.session.info.get("read_only"):
            raise RuntimeError("a read-only unit of work cannot write (session_factory(read_only=True))")

    @contextmanager
    def savepoint(self):
        """Undo one record's work without losing the rest of the transaction."""
        with _conflicts_raised(), self.session.begin_nested():
            yield


def _raise_translated(error: BaseException, committing: bool) -> None:
    """A lost race as ``Conflict``, a database that is not there as ``Unavailable``; any other
    error is left to the caller to raise."""
    conflict = _conflict(error)
    if conflict is not None:
        raise conflict
    if isinstance(error, _UNAVAILABLE):
        if committing:
            # The server may have committed before the connection broke: we cannot know.
            raise Unavailable("The database connection broke while committing: the save may "
                              "or may not be stored. Retry; a save carrying Id or ExternalId "
                              "is safe to repeat.") from error
        raise Unavailable("The database is unavailable; nothing was saved. Retry later.") from error


@contextmanager
def statement_errors(committing: Callable[[], bool]):
    """For autocommitted statements (no unit of work): errors translated as ``__exit__`` does;
    ``committing()`` tells whether a statement that commits a save had been sent."""
    try:
        yield
    except Exception as error:
        _raise_translated(error, committing())
        raise


@contextmanager
def _conflicts_raised():
    try:
        yield
    except sa_exc.DBAPIError as error:
        conflict = _conflict(error)
        if conflict is None:
            raise
        raise conflict from error


def session_factory(engine, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions for units of work; ``read_only`` for those that only read (listings, lookups),
    which then neither queue for SQLite's writer nor may write (``db.read_only_engine``)."""
    # expire_on_commit=False: results are read after commit without another round trip.
    return sessionmaker(bind=read_only_engine(engine) if read_only else engine, expire_on_commit=False,
                        autoflush=False, info={"read_only": read_only})
