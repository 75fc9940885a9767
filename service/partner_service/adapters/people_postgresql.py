"""PostgreSQL's ``PeopleStore``: single saves as autocommitted statements, batches locked.

Purpose: the store the app factory chooses for PostgreSQL. ``run`` gives a single save
``StatementWrites``: statements on a pooled connection in autocommit, no transaction held
open between them, optimistic concurrency instead of row locks. A new person (by ExternalId)
is one statement (``insert_unless_found``: the nonce, the person and their history row, unless
the client already has that ExternalId, whose row it then answers instead, writing nothing);
any other save is two: the load of the person's rows with their row version (``xmin``), then
the write with the request's nonce, which touches the row only if it is still at that version
(else it answers None and the use case plans again). A replay writes nothing. A save that
writes nothing (Unchanged, Stale, Test, refused by a rule) records its nonce alone (``finish``).
So a save is one commit, and the load needs none. ``run_locked`` is the unit of work of
``people_rows`` (``SELECT ... FOR UPDATE``) over ``PostgresPeopleRows``: batches' advisory
locks, IDs from the sequence and COPY, PostgreSQL's part of the set-based writes.

Contract: each statement is atomic on its own: a person is written with their history row or
not at all; a concurrent INSERT of the same ExternalId fails on the unique constraint, nonce
included (``Conflict``). Rows are stored in ``DriverSql``'s formats, so the ORM, Core and this
read them alike.

Trade-off: the pool's DBAPI connection is used directly, without SQLAlchemy's execution
context around each statement, so the SQL here is hand-written and typed by hand (``_cast``).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Table, exc, func, select, text

from ..domain.fields import UserType
from .credential_store import PurgeSchedule
from .database_errors import statement_errors
from .driver_sql import DIALECTS, PG_TYPES, driver_errors
from .people_rows import PeopleRows, run_locked
from .repository import known_club

T = TypeVar("T")

_SQL = DIALECTS["postgresql"]
# The nonce as NonceCache.remember writes it: a fresh key, or a leftover whose time is over.
_TAKE_OVER = ("ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at "
              "WHERE seen_nonces.expires_at <= %s RETURNING 1)")
_NONCE = f"WITH n AS (INSERT INTO seen_nonces (key, expires_at) VALUES (%s, %s) {_TAKE_OVER}"  # noqa: S608
_FRESH = "EXISTS (SELECT FROM n)"


def _cast(columns) -> str:
    """Typed placeholders: an INSERT ... SELECT does not type its parameters by the columns."""
    return ", ".join(f"CAST(%s AS {PG_TYPES[c]})" for c in columns)


def _with_history(rows_cte: str) -> str:
    """The history row of the person the CTE ``rows_cte`` wrote, in the same statement."""
    columns = _SQL.history_columns
    return (f"h AS (INSERT INTO user_type_history ({', '.join(columns)}) "  # noqa: S608
            f"SELECT {rows_cte}.id, {_cast(columns[1:])} FROM {rows_cte})")


_PEOPLE = ", ".join(_SQL.people_insert_columns)
_INSERT = (f"WITH p AS (INSERT INTO people ({_PEOPLE}) "  # noqa: S608
           f"VALUES ({', '.join(['%s'] * len(_SQL.people_insert_columns))}) RETURNING id), "
           f"{_with_history('p')} SELECT 1, id FROM p")
_INSERT_IF_FRESH = (f"{_NONCE}, p AS (INSERT INTO people ({_PEOPLE}) "  # noqa: S608
                    f"SELECT {_cast(_SQL.people_insert_columns)} WHERE {_FRESH} RETURNING id), "
                    f"{_with_history('p')} SELECT (SELECT count(*) FROM n), (SELECT id FROM p)")
_NONCE_ALONE = f"{_NONCE} SELECT count(*) FROM n"  # noqa: S608


@functools.cache
def _insert_unless_found(nonce: bool) -> str:
    """One row: (nonce was fresh, the new ID or NULL, the found person's version and columns or
    NULLs). A found person leaves the nonce to the write that follows, so a save stays one
    commit; the INSERT ... SELECT then yields no row, so no ID is drawn from the sequence. ON
    CONFLICT covers an insert of the same ExternalId committed after this statement's snapshot
    (then neither: nothing inserted, nothing found, the nonce recorded)."""
    found = (f"f AS (SELECT xmin::text AS version, {', '.join(_SQL.people_columns)} FROM people "  # noqa: S608
             "WHERE client_id = %s AND external_id = %s)")
    new = "NOT EXISTS (SELECT FROM f)"
    if nonce:
        found += (f", n AS (INSERT INTO seen_nonces (key, expires_at) SELECT {_cast(('key', 'expires_at'))} "
                  f"WHERE {new} {_TAKE_OVER}")
        new = f"{_FRESH} AND {new}"
    insert = (f"p AS (INSERT INTO people ({_PEOPLE}) SELECT {_cast(_SQL.people_insert_columns)} "  # noqa: S608
              f"WHERE {new} ON CONFLICT (client_id, external_id) DO NOTHING RETURNING id)")
    fresh = "(SELECT count(*) FROM n)" if nonce else "1"
    return (f"WITH {found}, {insert}, {_with_history('p')} "  # noqa: S608
            f"SELECT {fresh}, (SELECT id FROM p), f.* FROM (SELECT) AS one LEFT JOIN f ON true")


@functools.lru_cache(maxsize=256)
def _update(columns: tuple[str, ...], history: bool, nonce: bool) -> str:
    """Rows of (nonce was fresh, rows updated)."""
    fresh = f" AND {_FRESH}" if nonce else ""
    write = (f"w AS (UPDATE people SET {', '.join(f'{c} = %s' for c in columns)} "  # noqa: S608
             f"WHERE id = %s AND xmin::text = %s{fresh} RETURNING id)")
    ctes = ", ".join([write] + ([_with_history("w")] if history else []))
    if nonce:
        return f"{_NONCE}, {ctes} SELECT (SELECT count(*) FROM n), (SELECT count(*) FROM w)"  # noqa: S608
    return f"WITH {ctes} SELECT 1, count(*) FROM w"  # noqa: S608


class StatementWrites:
    """``PeopleWrites`` (``service_layer.people``) of one single save, on one pooled connection
    in autocommit. The nonce given to ``record_nonce`` goes into the replay cache with the first
    write, or alone with ``finish()``; ``writing`` is set once a write was sent (its outcome may
    then be unknown if the connection breaks)."""

    def __init__(self, connection, engine, clubs: dict, nonce_purge: PurgeSchedule):
        self.connection = connection  # the pool's (``Engine.raw_connection()``)
        self.engine = engine
        self._clubs = clubs
        self._nonce_purge = nonce_purge
        self._record = None
        self._nonce: tuple[str, datetime, datetime] | None = None
        self._versions: dict[int, str] = {}
        self.writing = False

    def record_nonce(self, nonce) -> None:
        self._record = nonce
        self._nonce = nonce.database_nonce() if nonce is not None else None
        if self._nonce is not None and self._nonce_purge.due():
            self._execute(_SQL.purge_nonces, (self._nonce[2],))

    def club(self, client_id: int, club_id: int | None):
        return known_club(self._clubs, client_id, club_id, lambda number: _SQL.club_of(self._execute, number))

    def load(self, client_id: int, ids, external_ids) -> list[dict]:
        """The client's rows with this ID and/or ExternalId (one record's), with their versions."""
        lookup = _SQL.record_lookup(client_id, ids, external_ids, prefix="xmin::text, ")
        found = self._execute(*lookup).fetchall() if lookup is not None else []
        for row in found:
            self._versions[row[1]] = row[0]
        return [_SQL.person(row[1:]) for row in found]

    def existing_ids(self, table: str, client_id: int, ids) -> set[int]:
        return _SQL.existing_ids_with(self._execute, table, client_id, ids)

    def take_turns(self, client_id: int, external_ids) -> None:
        raise ValueError("StatementWrites saves one record; batches run locked")

    def insert_unless_found(self, client_id: int, external_id: str, row: dict,
                            history: tuple[UserType | None, UserType, datetime]
                            ) -> tuple[int | None, list[dict]]:
        """A new person with their history row (and the nonce) in one statement, unless the
        client has a person with this ExternalId: then nothing is inserted and that person's
        row is answered instead, its version kept for ``write``. Answers (the new ID, []),
        (None, [the row]), or (None, []) when a concurrent save inserted the ExternalId
        meanwhile (the nonce then recorded)."""
        values = [_SQL.value(row[c]) for c in _SQL.people_insert_columns]
        parameters = (client_id, external_id, *(self._nonce or ()), *values, *map(_SQL.value, history))
        self.writing = True
        fresh, new_id, version, *person = self._execute(_insert_unless_found(self._nonce is not None),
                                                        parameters).fetchone()
        if version is None:
            if self._nonce is not None:
                self._settled(fresh)
            return new_id, []
        found = _SQL.person(tuple(person))
        self._versions[found["id"]] = version
        return None, [found]

    def write(self, planned) -> dict[int, int] | None:
        """A plan of one record, in one statement with the nonce."""
        if planned.inserts:
            ((key, row),) = planned.inserts
            return {key: self._insert(row, planned.history_of(key))}
        for row_id, changed in planned.updates.items():  # one at most: a record changes one person
            if not self._update(row_id, changed, planned.history_of(row_id)):
                return None
        return {}

    def _insert(self, row: dict, history: tuple[UserType | None, UserType, datetime]) -> int:
        values = [_SQL.value(row[c]) for c in _SQL.people_insert_columns]
        parameters = (*values, *map(_SQL.value, history))
        self.writing = True
        if self._nonce is None:
            return self._execute(_INSERT, parameters).fetchone()[1]
        fresh, new_id = self._execute(_INSERT_IF_FRESH, (*self._nonce, *parameters)).fetchone()
        self._settled(fresh)
        return new_id

    def _update(self, row_id: int, changed: dict,
                history: tuple[UserType | None, UserType, datetime] | None) -> bool:
        """Update the row as loaded, with the nonce; False (nothing written) when it changed
        since ``load``."""
        columns = tuple(changed)
        parameters = [*(self._nonce or ()), *(_SQL.value(changed[c]) for c in columns),
                      row_id, self._versions[row_id]]
        if history is not None:
            parameters += map(_SQL.value, history)
        self.writing = True
        fresh, written = self._execute(_update(columns, history is not None, self._nonce is not None),
                                       parameters).fetchone()
        if self._nonce is not None:
            self._settled(fresh)
        return written == 1

    def finish(self) -> None:
        """Record the nonce if no write carried it (nothing to write, a Test save, a refusal)."""
        if self._nonce is not None:
            self._settled(self._execute(_NONCE_ALONE, self._nonce).fetchone()[0])

    def _settled(self, fresh: int) -> None:
        """Autocommitted: the nonce is recorded for good (or was a replay's, which refuses)."""
        self._nonce = None
        self._record.recorded(fresh == 1)

    def _execute(self, sql: str, parameters):
        return _SQL.execute_pooled(self.engine.dialect, self.connection, sql, parameters)


def checkout(engine):
    """``engine.raw_connection()``, whose failure to connect comes out as SQLAlchemy's error
    (as from ``engine.connect()``), so the service layer reports it as Unavailable."""
    dbapi = engine.dialect.loaded_dbapi
    try:
        return engine.raw_connection()
    except dbapi.Error as error:
        raise exc.DBAPIError.instance(None, None, error, dbapi.Error, dialect=engine.dialect) from error


@contextmanager
def _autocommitted(engine):
    """A connection of ``engine``'s pool, in autocommit until it goes back (the pool is shared
    with the units of work). The pool's connection, not a SQLAlchemy ``Connection``, whose
    ``execution_options(isolation_level=...)`` would cost more than the save's statements."""
    pooled = checkout(engine)
    try:
        pooled.driver_connection.autocommit = True
        yield pooled
    finally:
        try:
            if pooled.is_valid:  # not after a lost connection was invalidated
                pooled.driver_connection.autocommit = False
        except engine.dialect.loaded_dbapi.Error as error:
            pooled.invalidate(error)  # broken meanwhile: the pool replaces it
        finally:
            pooled.close()


class PostgresPeopleStore:
    """``PeopleStore`` (``service_layer.people``) on PostgreSQL: see the module's docstring."""

    def __init__(self, engine, uow_factory: Callable[[], object], nonce_purge: PurgeSchedule | None = None):
        self.engine = engine
        self.uow_factory = uow_factory
        self.nonce_purge = nonce_purge or PurgeSchedule()
        self._clubs: dict = {}

    def run(self, work: Callable[[StatementWrites], T]) -> T:
        writes: StatementWrites | None = None
        # The database's errors as a unit of work's (the checkout included); a write sent counts
        # as an outcome that may be unknown.
        with statement_errors(lambda: writes is not None and writes.writing), \
                _autocommitted(self.engine) as pooled:
            writes = StatementWrites(pooled, self.engine, self._clubs, self.nonce_purge)
            return work(writes)

    def run_locked(self, work):
        return run_locked(self.uow_factory, work)


__all__ = ["PostgresPeopleStore", "StatementWrites", "checkout"]


# unnest keeps the array's (sorted) order, so the locks are taken in that order.
_BEGIN_BATCH = text("SELECT count(pg_advisory_xact_lock(k)) FROM unnest(CAST(:keys AS bigint[])) AS k")
# Below this many rows a plain INSERT costs less than setting up a COPY.
_COPY_FROM_ROWS = 8


class PostgresPeopleRows(PeopleRows):
    """PostgreSQL's part of the locking saves (batches): an advisory lock per new ExternalId,
    IDs from the sequence, and COPY for more than a few rows."""

    def begin_batch(self, client_id: int, external_ids) -> None:
        """A transaction-scoped advisory lock per (client, ExternalId), taken in one sorted order
        so two batches cannot deadlock."""
        keys = sorted({int.from_bytes(hashlib.blake2b(f"{client_id}\0{e}".encode(), digest_size=8).digest(),
                                      "big", signed=True) for e in external_ids})
        self._execute(_BEGIN_BATCH, {"keys": keys})

    def _new_ids(self, count: int) -> list[int]:
        sequence = func.pg_get_serial_sequence("people", "id")
        return sorted(self._execute(select(func.nextval(sequence)).select_from(
            func.generate_series(1, count))).scalars())

    def _insert_rows(self, table: Table, rows: list[dict]) -> None:
        """One COPY (a round trip, no per-row statement); for a few rows the driver's executemany."""
        connection, sql = self._driver()
        columns = tuple(c.name for c in table.columns if c.name in rows[0])
        if len(rows) < _COPY_FROM_ROWS:
            sql.execute_many(connection, sql.insert_rows(table.name, columns), sql.rows_of(columns, rows))
            return
        pooled = connection.connection
        # The driver's COPY, its errors as SQLAlchemy's: a database lost mid-COPY is Unavailable.
        with driver_errors(connection.dialect, pooled, connection.invalidate), \
                pooled.driver_connection.cursor() as cursor, cursor.copy(
                f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:  # noqa: S608 (our own names)
            for values in sql.rows_of(columns, rows):
                copy.write_row(values)
