"""A single save's reads and writes on a pooled connection. On PostgreSQL: autocommitted
statements, no transaction held open between them, optimistic concurrency instead of row locks.

A save through a unit of work costs six round trips (BEGIN, nonce, SELECT ... FOR UPDATE,
INSERT or UPDATE, history, COMMIT), each a pair of context switches on a busy host, and
holds its row lock across all of them. Here it costs one statement for a new person
(``insert_unless_found``: the nonce, the person and their history row, unless the client
already has that ExternalId, whose row it then answers instead, writing nothing) and two
for any other save:

1. the load: the rows of the person with their row version (``xmin``), read-only (or the
   row ``insert_unless_found`` answered);
2. the write, with the request's nonce: one statement inserts the nonce into the replay
   cache (as ``NonceCache.remember``: a fresh key, or a leftover whose time is over) and,
   only if it was fresh, the person with their user-type history row, or the UPDATE (with
   history when the user type changed) made conditional on the row version read in 1. A
   replay writes nothing. A row another save changed in between is not touched
   (``update_one`` answers False; the nonce stays recorded) and the save is planned again
   from what is stored then; a concurrent INSERT of the same ExternalId fails on the unique
   constraint, nonce included, as in a transaction. A save that writes nothing (Unchanged,
   Stale, a Test save, one a rule refuses) records its nonce alone (``settle``).

So a save is one commit, as in one transaction, and the load needs none.

Each statement is atomic on its own: the history row is written with its person or not at
all. Rows are stored with ``DriverSql``'s formats, so the ORM, Core and this read them alike.

SQLite has its own (``adapters/writer_rows.py``): the same loads and writes as plain
statements inside one transaction of its single writer. Both take the pool's connection
directly, without a Session around it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime

from sqlalchemy import exc

from ..domain.fields import UserType
from .credential_store import NonceCache
from .driver_sql import DIALECTS, PG_TYPES
from .repository import known_club

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


class StatementRows:
    """What single saves read and write on one pooled connection, for ``planning.load_plan``
    (``load``, ``existing_ids``), ``club_in_scope`` (``clubs``) and ``planning.write_one``
    (``insert_one``, ``update_one``), as ``PeopleRows`` and the unit of work serve them.

    ``admit(nonce)`` before ``load``: on PostgreSQL the nonce goes into the replay cache with
    the write, or alone with ``settle()`` when nothing is written; ``nonce_was_fresh`` then
    tells whether it was unseen (a replay writes nothing).
    """

    nonce_kept_on_failure = True  # autocommitted: a later failure does not undo the nonce
    inserts_unless_found = True  # ``insert_unless_found``: a new person in one statement

    def __init__(self, connection, engine):
        self.connection = connection  # the pool's (``Engine.raw_connection()``)
        self.engine = engine
        self.sql = DIALECTS[engine.dialect.name]
        self.clubs = _Clubs(engine, self)
        self._nonce: tuple[str, datetime, datetime] | None = None
        self.nonce_was_fresh: bool | None = None
        self._versions: dict[int, str] = {}
        self.writing = False  # a write statement was sent: its outcome may be unknown

    def admit(self, nonce: tuple[str, datetime, datetime] | None) -> None:
        self._nonce, self.nonce_was_fresh = nonce, None

    def load(self, client_id: int, ids, external_ids) -> list[dict]:
        """The client's rows with this ID and/or ExternalId."""
        ids, external_ids = list(ids), list(external_ids)
        if len(ids) > 1 or len(external_ids) > 1:
            raise ValueError("StatementRows loads the rows of one record")
        self._purge_if_due()
        person_id, external_id = (ids or [None])[0], (external_ids or [None])[0]
        lookup = self.sql.lookup_parameters(client_id, person_id, external_id) if ids or external_ids else ()
        return self._load(bool(ids), bool(external_ids), lookup)

    def _load(self, by_id: bool, by_external_id: bool, lookup: tuple) -> list[dict]:
        if not by_id and not by_external_id:
            return []
        found = self._execute(_SQL.person_lookup(by_id, by_external_id, lock=False, prefix="xmin::text, "),
                              lookup).fetchall()
        for row in found:
            self._versions[row[1]] = row[0]
        return [_SQL.person(row[1:]) for row in found]

    def existing_ids(self, table: str, client_id: int, ids) -> set[int]:
        return {row[0] for number in set(ids)
                for row in self._execute(self.sql.reference_exists(table), (client_id, number)).fetchall()}

    def insert_unless_found(self, client_id: int, external_id: str, row: dict,
                            history: tuple[UserType | None, UserType, datetime]
                            ) -> tuple[int | None, list[dict]]:
        """A new person with their history row (and the nonce) in one statement, unless the
        client has a person with this ExternalId: then nothing is inserted and that person's
        row is answered instead, its version kept for ``update_one``. So a save of a new person
        costs one round trip, and one of a known person no more than ``load`` then a write.
        Answers (the new ID, []), (None, [the row]), or (None, []) for a replay or when a
        concurrent save inserted the ExternalId meanwhile."""
        self._purge_if_due()
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

    def insert_one(self, row: dict, history: tuple[UserType | None, UserType, datetime]) -> int:
        """Insert the person and their history row, with the nonce, in one statement; answer
        the new ID (0 for a replay: nothing inserted)."""
        values = [_SQL.value(row[c]) for c in _SQL.people_insert_columns]
        parameters = (*values, *map(_SQL.value, history))
        self.writing = True
        if self._nonce is None:
            return self._execute(_INSERT, parameters).fetchone()[1]
        fresh, new_id = self._execute(_INSERT_IF_FRESH, (*self._nonce, *parameters)).fetchone()
        self._settled(fresh)
        return new_id or 0

    def update_one(self, row_id: int, changed: dict,
                   history: tuple[UserType | None, UserType, datetime] | None) -> bool:
        """Update the row as loaded, with the nonce; False (nothing written) when it changed
        since ``load``, or for a replay."""
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

    def settle(self) -> None:
        """Record the admitted nonce if no write carried it (nothing to write, a Test save, a
        save a rule refused)."""
        if self._nonce is not None:
            self._settled(self._execute(_NONCE_ALONE, self._nonce).fetchone()[0])

    def _purge_if_due(self) -> None:
        if self._nonce is not None and NonceCache.purge_due():
            self._execute(self.sql.purge_nonces, (self.sql.value(self._nonce[2]),))

    def _settled(self, fresh: int) -> None:
        self.nonce_was_fresh, self._nonce = fresh == 1, None

    def _execute(self, sql: str, parameters):
        return self.sql.execute_pooled(self.engine.dialect, self.connection, sql, parameters)


def checkout(engine):
    """``engine.raw_connection()``, whose failure to connect comes out as SQLAlchemy's error
    (as from ``engine.connect()``), so the service layer reports it as Unavailable."""
    dbapi = engine.dialect.loaded_dbapi
    try:
        return engine.raw_connection()
    except dbapi.Error as error:
        raise exc.DBAPIError.instance(None, None, error, dbapi.Error, dialect=engine.dialect) from error


def statement_rows(engine) -> Callable[[], AbstractContextManager[StatementRows]]:
    """PostgreSQL: ``open()`` a ``StatementRows`` on a connection of ``engine``'s pool, in
    autocommit until it goes back (the pool is shared with the units of work). The pool's
    connection, not a SQLAlchemy ``Connection``: half the CPU of
    ``execution_options(isolation_level=...)``."""

    @contextmanager
    def open_rows():
        pooled = checkout(engine)
        try:
            pooled.driver_connection.autocommit = True
            yield StatementRows(pooled, engine)
        finally:
            try:
                if pooled.is_valid:  # not after a lost connection was invalidated
                    pooled.driver_connection.autocommit = False
            except engine.dialect.loaded_dbapi.Error as error:
                pooled.invalidate(error)  # broken meanwhile: the pool replaces it
            finally:
                pooled.close()
    return open_rows


class _Clubs:
    """``clubs.get`` as ``ClubRepository``'s, sharing its process-wide cache."""

    def __init__(self, engine, rows: StatementRows):
        self.engine, self.rows = engine, rows

    def get(self, client_id: int, club_id: int | None):
        return known_club(self.engine, client_id, club_id, self._read)

    def _read(self, club_id: int) -> tuple[int, str] | None:
        found = self.rows._execute(self.rows.sql.club_owner, (club_id,)).fetchone()
        return None if found is None else (found[0], found[1])


__all__ = ["StatementRows", "checkout", "statement_rows"]
