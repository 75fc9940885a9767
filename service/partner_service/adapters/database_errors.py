"""The database's errors, as the service layer knows them: a lost race is ``Conflict``, a
database that is not there is ``Unavailable`` (with the in-doubt case named when a COMMIT, or a
statement that commits, was sent before the connection broke).

Contract: every writer (a unit of work, a store's autocommitted statements) translates through
here, so a caller sees the same two errors whichever engine or path wrote.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import contextmanager

from sqlalchemy import exc as sa_exc

from ..domain.errors import Conflict, Unavailable

log = logging.getLogger(__name__)

# Errors that mean "the database is not there right now", as opposed to a bug or a rule.
UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)
# PostgreSQL's deadlock_detected and serialization_failure: another transaction won.
_CONTENTION_SQLSTATES = {"40P01", "40001"}


def as_conflict(error: BaseException) -> Conflict | None:
    """The database's way of saying another transaction got in first, as a ``Conflict``."""
    if isinstance(error, sa_exc.IntegrityError) or (
            isinstance(error, sa_exc.DBAPIError)
            and getattr(error.orig, "sqlstate", None) in _CONTENTION_SQLSTATES):
        conflict = Conflict("A concurrent save got in the way; nothing was saved. Retry.")
        conflict.__cause__ = error
        log.debug("a concurrent transaction got in first (%s)", type(error).__name__)
        return conflict
    return None


def raise_translated(error: BaseException, committing: bool) -> None:
    """A lost race as ``Conflict``, a database that is not there as ``Unavailable``; any other
    error is left to the caller to raise."""
    conflict = as_conflict(error)
    if conflict is not None:
        raise conflict
    if isinstance(error, UNAVAILABLE):
        if committing:
            # The server may have committed before the connection broke: we cannot know.
            raise Unavailable("The database connection broke while committing: the save may "
                              "or may not be stored. Retry; a save carrying Id or ExternalId "
                              "is safe to repeat.") from error
        raise Unavailable("The database is unavailable; nothing was saved. Retry later.") from error


@contextmanager
def statement_errors(committing: Callable[[], bool]):
    """For autocommitted statements (no unit of work): errors translated as a unit of work does;
    ``committing()`` tells whether a statement that commits a save had been sent."""
    try:
        yield
    except Exception as error:
        raise_translated(error, committing())
        raise


@contextmanager
def conflicts_raised():
    try:
        yield
    except sa_exc.DBAPIError as error:
        conflict = as_conflict(error)
        if conflict is None:
            raise
        raise conflict from error
