"""Hand-written SQL on the DBAPI connection, for the statements every single save runs.

Purpose: the statements a save runs often, without SQLAlchemy Core's per-statement work
(execution context, parameter processing, result metadata from the cursor), which costs
several times the driver's own execute (figures in ``bench/README.md``). Contract: they run on
the session's own connection, inside its
transaction (``Connection.connection.driver_connection``), with SQLAlchemy's storage
formats, so rows written here and by Core or the ORM read back alike: enumerations by
value, and on SQLite dates and instants as ISO text with microseconds.
``tests/integration/test_driver_sql.py`` writes with one and reads with the other.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from datetime import date, datetime
from enum import Enum

from sqlalchemy import Date, DateTime, Table, exc
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.dialects import postgresql

from .orm import people, seen_nonces, user_type_history

# Each column's PostgreSQL type, for typed placeholders where nothing else types a parameter.
PG_TYPES = {c.name: c.type.compile(dialect=postgresql.dialect())
            for table in (people, user_type_history, seen_nonces) for c in table.columns}


def _reader(table: Table, sqlite: bool) -> tuple[tuple[str, ...], tuple[Callable | None, ...]]:
    """Column names and, per column, what turns a stored value back into the model's."""
    convert = []
    for column in table.columns:
        if isinstance(column.type, SqlEnum):
            convert.append(column.type.enum_class)
        elif sqlite and isinstance(column.type, DateTime):
            convert.append(datetime.fromisoformat)
        elif sqlite and isinstance(column.type, Date):
            convert.append(date.fromisoformat)
        else:
            convert.append(None)
    return tuple(c.name for c in table.columns), tuple(convert)


@contextmanager
def driver_errors(dialect, pooled, invalidate=None):
    """Around work on a pool's DBAPI connection (``pooled``): a driver error comes out as
    SQLAlchemy's own (IntegrityError, OperationalError, ...), and a lost connection is
    invalidated, exactly as if SQLAlchemy had run the statement; so the service layer answers
    a lost database ``Unavailable`` whichever way the statement was sent."""
    try:
        yield
    except dialect.loaded_dbapi.Error as error:
        lost = dialect.is_disconnect(error, pooled.dbapi_connection, None)
        if lost:
            (invalidate or pooled.invalidate)(error)
        raise exc.DBAPIError.instance(None, None, error, dialect.loaded_dbapi.Error,
                                      connection_invalidated=lost, dialect=dialect) from error


class DriverSql:
    """The statements and value conversions of one dialect (``postgresql`` or ``sqlite``)."""

    def __init__(self, dialect: str):
        self.sqlite = dialect == "sqlite"
        self._statements: dict[tuple, str] = {}
        self.people_columns, self._people_convert = _reader(people, self.sqlite)
        self._lock = "" if self.sqlite else " FOR UPDATE"
        inserted = [c for c in self.people_columns if c != "id"]
        self.people_insert_columns = tuple(inserted)
        history = [c.name for c in user_type_history.columns if c.name != "id"]
        self.history_columns = tuple(history)
        self.insert_history = self._text(
            f"INSERT INTO user_type_history ({', '.join(history)}) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * len(history))})")
        self.remember_nonce = self._text(
            "INSERT INTO seen_nonces (key, expires_at) VALUES (%s, %s) "
            "ON CONFLICT (key) DO NOTHING RETURNING key")
        self.take_over_nonce = self._text(
            "UPDATE seen_nonces SET expires_at = %s WHERE key = %s AND expires_at <= %s")
        self.purge_nonces = self._text("DELETE FROM seen_nonces WHERE expires_at <= %s")
        self.club_owner = self._text("SELECT client_id, name FROM clubs WHERE id = %s")

    def remember_nonce_with(self, run, key: str, until: datetime, now: datetime) -> bool:
        """True the first time ``key`` is seen, by ``run(sql, parameters)`` (a cursor) inside the
        caller's transaction. ON CONFLICT DO NOTHING instead of a savepoint around a plain
        INSERT: the same answer (a racing insert of the key is waited for, then counts as seen)
        in one round trip instead of three."""
        if run(self.remember_nonce, (key, self.value(until))).fetchone() is not None:
            return True
        # Seen before. A leftover whose time is over (not yet purged) may be taken over,
        # atomically, so two racing takers still get one True between them.
        return run(self.take_over_nonce, (self.value(until), key, self.value(now))).rowcount == 1

    # One row each, by ``run(sql, parameters)`` (a cursor): a single save's writes on SQLite's
    # writer transaction (``people_sqlite.WriterWrites``).
    def update_person_with(self, run, row_id: int, changed: dict) -> None:
        columns = tuple(sorted(changed))  # one statement per set of columns, in any order given
        run(self.update_person(columns), [*(self.value(changed[c]) for c in columns), row_id])

    def insert_history_with(self, run, person_id: int, from_type, to_type, changed_at: datetime) -> None:
        run(self.insert_history, (person_id, *map(self.value, (from_type, to_type, changed_at))))

    def execute(self, connection, sql: str, parameters, prepare: bool | None = None):
        """Run on the DBAPI connection under ``connection`` (SQLAlchemy's), its errors as
        ``driver_errors`` gives them. ``prepare=False``: on PostgreSQL never a prepared
        statement, so planned for its parameters each time (SQLite has no generic plans)."""
        return self.execute_pooled(connection.dialect, connection.connection, sql, parameters,
                                   connection.invalidate, prepare)

    @staticmethod
    def execute_many(connection, sql: str, rows: list) -> None:
        """One statement over many parameter rows (the driver's executemany) on the DBAPI
        connection under ``connection``, its errors as ``driver_errors`` gives them. Through
        SQLAlchemy Core the same costs more CPU (a dict and bind processing per row)."""
        with driver_errors(connection.dialect, connection.connection, connection.invalidate):
            connection.connection.driver_connection.cursor().executemany(sql, rows)

    @staticmethod
    def execute_pooled(dialect, pooled, sql: str, parameters, invalidate=None, prepare: bool | None = None):
        """As ``execute``, on a pool's connection (``Engine.raw_connection()``)."""
        with driver_errors(dialect, pooled, invalidate):
            cursor = pooled.driver_connection.cursor()
            if prepare is None or dialect.name == "sqlite":  # sqlite3's execute takes no ``prepare``
                cursor.execute(sql, parameters)
            else:
                cursor.execute(sql, parameters, prepare=prepare)
            return cursor

    def person_lookup(self, by_id: bool, by_external_id: bool, lock: bool = True, prefix: str = "") -> str:
        """The SELECT of a client's person by ID, by ExternalId or by either (parameters:
        client ID, then the ID and/or the ExternalId), each row prefixed with ``prefix``
        columns; locked FOR UPDATE on PostgreSQL when ``lock``.

        Equalities on one unique index each, never ``id = %s OR external_id = %s``: psycopg
        prepares a statement run five times, and PostgreSQL's generic plan for the OR, made
        while the table was small, filtered every person of the client: a save's cost grew with
        the client's people, where these probes cost the same at any size.
        """
        return self._memo(("person_lookup", by_id, by_external_id, lock, prefix),
                          lambda: self._person_lookup(by_id, by_external_id, lock, prefix))

    def _person_lookup(self, by_id: bool, by_external_id: bool, lock: bool, prefix: str) -> str:
        lock = self._lock if lock else ""
        names = prefix + ", ".join(self.people_columns)
        by = f"SELECT {names} FROM people WHERE client_id = %s AND "  # noqa: S608
        if by_id and by_external_id:
            # Two probes; the second skips the row the first found. FOR UPDATE cannot follow a UNION.
            both = f"{by}id = %s UNION ALL {by}external_id = %s AND id <> %s"
            if not lock:
                return self._text(f"{both} ORDER BY id")
            return self._text(f"SELECT {names} FROM people WHERE id IN "  # noqa: S608
                              f"(SELECT id FROM ({both}) AS found) ORDER BY id{lock}")
        return self._text(f"{by}{'id' if by_id else 'external_id'} = %s{lock}")

    def batch_lookup(self, client_id: int, ids: list[int], external_ids: list[str]) -> tuple[str, tuple]:
        """A batch's SELECT of the client's people with any of these IDs or ExternalIds, in ID
        order. PostgreSQL: one array parameter each (not 200 placeholders), locked FOR UPDATE:
        between this read and the writes no other save may change a row (Stale and Unchanged
        are decided on what was read), and two batches lock their common rows in the same
        order. SQLite: a placeholder per value; its single writer is alone.
        """
        if not self.sqlite:
            return self._batch_lookup_by_probes(client_id, ids, external_ids)
        matches, parameters = [], [client_id]
        for column, values in (("id", ids), ("external_id", external_ids)):
            if values:
                matches.append(f"{column} IN ({', '.join(['%s'] * len(values))})")
                parameters.extend(values)
        return (self._text(f"SELECT {', '.join(self.people_columns)} FROM people "  # noqa: S608
                           f"WHERE client_id = %s AND ({' OR '.join(matches)}) ORDER BY id"),
                tuple(parameters))

    def _batch_lookup_by_probes(self, client_id: int, ids: list[int],
                                external_ids: list[str]) -> tuple[str, tuple]:
        """PostgreSQL: one probe of a unique index per value, whatever the statistics say.

        Written as ``client_id = $1 AND external_id = ANY($2)``, the lookup was planned from the
        table's statistics, and a table not yet analyzed (a new deployment's first minute, the
        first sync of a large club, autovacuum behind) is taken for a few rows per client: the
        plan then read every row of the client through the index on ``client_id`` and filtered
        them, a batch's PostgreSQL CPU growing with the table (bench/README.md, seventh session).
        A scalar subquery per value is never turned into a join: each one is an index probe (by
        ``(client_id, external_id)``, or by ``id`` checked against the client), and the rows
        they found are then read and locked by primary key, in ID order.
        """
        probes, parameters = [], []
        for values, match, column in ((ids, "id = k AND client_id = %s", "id"),
                                      (external_ids, "client_id = %s AND external_id = k", "external_id")):
            if values:
                probes.append(f"SELECT (SELECT id FROM people WHERE {match}) "  # noqa: S608 (our own names)
                              f"FROM unnest(CAST(%s AS {PG_TYPES[column]}[])) AS k")
                parameters += [client_id, values]
        return (f"SELECT {', '.join(self.people_columns)} FROM people "  # noqa: S608 (our own names)
                f"WHERE id = ANY(ARRAY({' UNION ALL '.join(probes)})) ORDER BY id{self._lock}",
                tuple(parameters))

    def insert_rows(self, table: str, columns: tuple[str, ...]) -> str:
        """The INSERT of one row of these columns, for ``execute_many``."""
        statement = (f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 (our own names)
                     f"VALUES ({', '.join(['%s'] * len(columns))})")
        return self._memo(("insert_rows", table, columns), lambda: self._text(statement))

    def rows_of(self, columns: tuple[str, ...], rows) -> list[list]:
        """``rows`` (dicts by column name) as the driver should store them, for ``execute_many``."""
        value = self.value
        return [[value(row[c]) for c in columns] for row in rows]

    def record_lookup(self, client_id: int, ids, external_ids, prefix: str = "") -> tuple[str, tuple] | None:
        """A single save's unlocked lookup of its person (``person_lookup`` and its parameters),
        or None when the record names neither an ID nor an ExternalId."""
        ids, external_ids = list(ids), list(external_ids)
        if len(ids) > 1 or len(external_ids) > 1:
            raise ValueError("a single save loads the rows of one record")
        if not ids and not external_ids:
            return None
        person_id, external_id = (ids or [None])[0], (external_ids or [None])[0]
        return (self.person_lookup(bool(ids), bool(external_ids), lock=False, prefix=prefix),
                self.lookup_parameters(client_id, person_id, external_id))

    def club_of(self, run, club_id: int) -> tuple[int, str] | None:
        """(owner, name) of a club, by ``run(sql, parameters)``; None when there is none."""
        found = run(self.club_owner, (club_id,)).fetchone()
        return None if found is None else (found[0], found[1])

    def existing_ids_with(self, run, table: str, client_id: int, ids) -> set[int]:
        """Which of these IDs (a single save's few) are rows of ``table`` of the client."""
        return {row[0] for number in set(ids)
                for row in run(self.reference_exists(table), (client_id, number)).fetchall()}

    @staticmethod
    def lookup_parameters(client_id: int, person_id: int | None, external_id: str | None) -> tuple:
        """``person_lookup``'s parameters for that ID and/or ExternalId."""
        if person_id is not None and external_id is not None:
            return (client_id, person_id, client_id, external_id, person_id)
        return (client_id, person_id if person_id is not None else external_id)

    def _memo(self, key: tuple, build) -> str:
        """A statement built once per dialect and key: the few shapes a save takes (a set of
        columns, a lookup), so the cache stays small; its contents are pure text."""
        statement = self._statements.get(key)
        if statement is None:
            statement = self._statements[key] = build()
        return statement

    def _text(self, sql: str) -> str:
        return sql.replace("%s", "?") if self.sqlite else sql

    def value(self, value):
        """A model value as the driver should store it."""
        if isinstance(value, Enum):
            return value.value
        if self.sqlite:
            if isinstance(value, datetime):
                return value.isoformat(" ", "microseconds")
            if isinstance(value, date):
                return value.isoformat()
        return value

    def person(self, row: tuple) -> dict:
        return {name: value if convert is None or value is None else convert(value)
                for name, convert, value in zip(self.people_columns, self._people_convert, row, strict=True)}

    def update_person(self, columns: tuple[str, ...]) -> str:
        return self._memo(("update_person", columns), lambda: self._text(
            f"UPDATE people SET {', '.join(f'{c} = %s' for c in columns)} WHERE id = %s"))  # noqa: S608

    def update_people(self, columns: tuple[str, ...]) -> str:
        """PostgreSQL: these columns of many people in one statement (parameters: an array of
        row IDs, then an array of values per column), instead of one UPDATE per person. Run it
        with ``prepare=False``: a generic plan made while the table was small hash-joins the
        arrays to a scan of every person."""
        arrays = ", ".join(f"CAST(%s AS {PG_TYPES[c]}[])" for c in ("id", *columns))
        statement = (f"UPDATE people SET {', '.join(f'{c} = v.{c}' for c in columns)} "  # noqa: S608 (our own names)
                     f"FROM unnest({arrays}) AS v(id, {', '.join(columns)}) WHERE people.id = v.id")
        return self._memo(("update_people", columns), lambda: statement)

    def update_people_with(self, connection, changes: dict[int, dict]) -> None:
        """Write changed columns by row ID, per distinct set of columns: on PostgreSQL one
        statement over arrays (unprepared, see ``update_people``), on SQLite one executemany."""
        groups: dict[tuple[str, ...], list[int]] = {}
        for row_id in sorted(changes):
            groups.setdefault(tuple(sorted(changes[row_id])), []).append(row_id)
        for columns, row_ids in groups.items():
            if self.sqlite:
                self.execute_many(connection, self.update_person(columns),
                                  [[*(self.value(changes[i][c]) for c in columns), i] for i in row_ids])
            else:
                self.execute(connection, self.update_people(columns),
                             [row_ids, *([self.value(changes[i][c]) for i in row_ids] for c in columns)],
                             prepare=False)

    def reference_exists(self, table: str) -> str:
        return self._text(f"SELECT id FROM {table} WHERE client_id = %s AND id = %s")  # noqa: S608


DIALECTS = {name: DriverSql(name) for name in ("postgresql", "sqlite")}
