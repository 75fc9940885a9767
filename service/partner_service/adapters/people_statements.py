"""A single save's reads and writes on PostgreSQL as autocommitted statements, no transaction
held open between them: optimistic concurrency instead of row locks.

A save through a unit of work costs six round trips (BEGIN, nonce, SELECT ... FOR UPDATE,
INSERT or UPDATE, history, COMMIT), each a pair of context switches on a busy host, and
holds its row lock across all of them. Here it costs two statements, each its own
transaction:

1. the load: the request's nonce inserted into the replay cache (as
   ``NonceCache.remember``: a fresh key, or a leftover whose time is over) and the rows of
   the person read with their row version (``xmin``), in one statement;
2. the write: the INSERT with its user-type history row, or the UPDATE (with history when
   the user type changed) made conditional on the row version read in 1. A row another save
   changed in between is not touched (``update_one`` answers False) and the save is planned
   again from what is stored then; a concurrent INSERT of the same ExternalId fails on the
   unique constraint, as in a transaction.

Each statement is atomic on its own: the history row is written with its person or not at
all. Rows are stored with ``DriverSql``'s formats, so the ORM, Core and this read them alike.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime

from sqlalchemy.dialects import postgresql

from ..domain.fields import UserType
from .credential_store import NonceCache
from .driver_sql import DIALECTS
from .orm import user_type_history
from .repository import known_club

_SQL = DIALECTS["postgresql"]
# The nonce as NonceCache.remember writes it: a fresh key, or a leftover whose time is over.
_NONCE = ("WITH n AS (INSERT INTO seen_nonces (key, expires_at) VALUES (%s, %s) "
          "ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at "
          "WHERE seen_nonces.expires_at <= %s RETURNING 1) ")


@functools.lru_cache(maxsize=8)
def _load(by_id: bool, by_external_id: bool, nonce: bool) -> str:
    """Rows of (nonce was fresh, row version, the person's columns...): with a nonce, its row
    comes first even when no person matches (LEFT JOIN), and a record naming no one gets just
    that row."""
    if not by_id and not by_external_id:
        return _NONCE + "SELECT count(*), NULL, NULL FROM n" if nonce else "SELECT 1, NULL, NULL"  # noqa: S608
    lookup = _SQL.person_lookup(by_id, by_external_id, lock=False, prefix="xmin::text, ")
    if not nonce:
        return f"SELECT 1, p.* FROM ({lookup}) AS p ORDER BY p.id"  # noqa: S608
    return (_NONCE + "SELECT (SELECT count(*) FROM n), p.* FROM (SELECT 1) AS one "  # noqa: S608
            f"LEFT JOIN ({lookup}) AS p ON true ORDER BY p.id")


_HISTORY_TYPES = [c.type.compile(dialect=postgresql.dialect())
                  for c in user_type_history.columns if c.name != "id"][1:]
# Inserted with the row it names, from the statement's own RETURNING: one statement, one
# transaction, no window where a person exists without their history.
_WITH_HISTORY = (
    "WITH p AS ({write} RETURNING id) INSERT INTO user_type_history "  # noqa: S608
    f"({', '.join(_SQL.history_columns)}) SELECT p.id, "
    + ", ".join(f"CAST(%s AS {t})" for t in _HISTORY_TYPES) + " FROM p RETURNING person_id")
_INSERT = (f"INSERT INTO people ({', '.join(_SQL.people_insert_columns)}) "  # noqa: S608
           f"VALUES ({', '.join(['%s'] * len(_SQL.people_insert_columns))})")


@functools.lru_cache(maxsize=256)
def _update(columns: tuple[str, ...], history: bool) -> str:
    write = f"UPDATE people SET {', '.join(f'{c} = %s' for c in columns)} WHERE id = %s AND xmin::text = %s"  # noqa: S608
    return _WITH_HISTORY.format(write=write) if history else write + " RETURNING id"


class StatementRows:
    """What one single save reads and writes, on one pooled connection in autocommit.

    Serves ``planning.load_plan`` (``load``, ``existing_ids``) and ``club_in_scope``
    (``clubs``) as ``PeopleRows`` and the unit of work do.
    """

    def __init__(self, connection, engine, nonce: tuple[str, datetime, datetime] | None):
        self.connection = connection  # the pool's (``Engine.raw_connection()``)
        self.engine = engine
        self.clubs = _Clubs(engine, self)
        self._nonce = nonce
        self.nonce_was_fresh: bool | None = None  # after ``load`` with a nonce: was it unseen?
        self._versions: dict[int, str] = {}
        self.writing = False  # a write statement was sent: its outcome may be unknown

    def load(self, client_id: int, ids, external_ids) -> list[dict]:
        """The client's rows with one of these IDs or ExternalIds (one of each at most), and
        the nonce inserted in the same statement."""
        ids, external_ids = list(ids), list(external_ids)
        if len(ids) > 1 or len(external_ids) > 1:
            raise ValueError("StatementRows loads the rows of one record")
        person_id, external_id = (ids or [None])[0], (external_ids or [None])[0]
        lookup = _SQL.lookup_parameters(client_id, person_id, external_id) if ids or external_ids else ()
        sql = _load(bool(ids), bool(external_ids), self._nonce is not None)
        if self._nonce is None:
            result = self._execute(sql, lookup).fetchall()
        else:
            if NonceCache.purge_due():
                self._execute("DELETE FROM seen_nonces WHERE expires_at <= %s", (self._nonce[2],))
            result = self._execute(sql, (*self._nonce, *lookup)).fetchall()
            self.nonce_was_fresh = result[0][0] == 1
        rows = []
        for row in result:
            if row[2] is not None:
                self._versions[row[2]] = row[1]
                rows.append(_SQL.person(row[2:]))
        return rows

    def existing_ids(self, table: str, client_id: int, ids) -> set[int]:
        return {row[0] for number in set(ids)
                for row in self._execute(_SQL.reference_exists(table), (client_id, number)).fetchall()}

    def insert_one(self, row: dict, history: tuple[UserType | None, UserType, datetime]) -> int:
        """Insert the person and their history row; answer the new ID."""
        values = [_SQL.value(row[c]) for c in _SQL.people_insert_columns]
        self.writing = True
        return self._execute(_WITH_HISTORY.format(write=_INSERT),
                             (*values, *map(_SQL.value, history))).fetchone()[0]

    def update_one(self, row_id: int, changed: dict,
                   history: tuple[UserType | None, UserType, datetime] | None) -> bool:
        """Update the row as loaded; False (nothing written) when it changed since ``load``."""
        columns = tuple(changed)
        parameters = [_SQL.value(changed[c]) for c in columns] + [row_id, self._versions[row_id]]
        if history is not None:
            parameters += map(_SQL.value, history)
        self.writing = True
        return self._execute(_update(columns, history is not None), parameters).fetchone() is not None

    def _execute(self, sql: str, parameters):
        return _SQL.execute_pooled(self.engine.dialect, self.connection, sql, parameters)


def statement_rows(engine) -> Callable[[tuple | None], AbstractContextManager[StatementRows]]:
    """``open(nonce)``: a ``StatementRows`` on a connection of ``engine``'s pool, in autocommit
    until it goes back (the pool is shared with the units of work). The pool's connection, not
    a SQLAlchemy ``Connection``: half the CPU of ``execution_options(isolation_level=...)``."""

    @contextmanager
    def open_rows(nonce: tuple | None):
        pooled = engine.raw_connection()
        try:
            pooled.driver_connection.autocommit = True
            yield StatementRows(pooled, engine, nonce)
        finally:
            try:
                if pooled.is_valid:  # not after a lost connection was invalidated
                    pooled.driver_connection.autocommit = False
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
        found = self.rows._execute("SELECT client_id, name FROM clubs WHERE id = %s", (club_id,)).fetchone()
        return None if found is None else (found[0], found[1])


__all__ = ["StatementRows", "statement_rows"]
