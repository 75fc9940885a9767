"""Set-based reads and writes of people rows, for batch saves.

A batch of up to 200 records costs a handful of statements here instead of a round trip
per record: one SELECT for the rows (locked, on PostgreSQL), one per referenced table, the
new IDs, one insert of the new people and one of their history rows (COPY on PostgreSQL), one
UPDATE per set of changed columns (an executemany on SQLite).
Rows travel as plain dicts keyed by column name; no ORM identity map is involved.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import Table, func, select, text, update
from sqlalchemy.orm import Session

from .driver_sql import DIALECTS, DriverSql, driver_errors
from .orm import lead_sources, people, staff, user_type_history

PERSON_COLUMNS: tuple[str, ...] = tuple(c.name for c in people.columns if c.name != "id")
REFERENCE_TABLES: dict[str, Table] = {"staff": staff, "lead_sources": lead_sources}
# unnest keeps the array's (sorted) order, so the locks are taken in that order.
_BEGIN_BATCH = text("SELECT count(pg_advisory_xact_lock(k)) FROM unnest(CAST(:keys AS bigint[])) AS k")
# Below this many rows a plain INSERT costs less than setting up a COPY.
_COPY_FROM_ROWS = 8


class PeopleRows:
    def __init__(self, session: Session):
        self.session = session
        self._transaction = self._connection = None

    def connection(self):
        """The session's connection, asked of the session once per transaction (that ask
        walks its state machine: a few percent of a single save's CPU, four times over)."""
        transaction = self.session.get_transaction()
        if transaction is None or transaction is not self._transaction:
            self._connection = self.session.connection()
            self._transaction = self.session.get_transaction()
        return self._connection

    def _execute(self, statement, parameters=None):
        return self.connection().execute(statement, parameters)

    def _driver(self) -> tuple[object, DriverSql]:
        """The session's connection (its DBAPI connection runs the SQL, in the same transaction)
        and its dialect's hand-written SQL."""
        connection = self.connection()
        return connection, DIALECTS[connection.dialect.name]

    def _one_row(self) -> tuple[DriverSql, object]:
        """The dialect's SQL and ``run(sql, parameters)`` on the session's DBAPI connection."""
        connection, sql = self._driver()
        return sql, lambda statement, parameters: sql.execute(connection, statement, parameters)

    def load(self, client_id: int, ids: Iterable[int], external_ids: Iterable[str]) -> list[dict]:
        """Every row of the client with one of these IDs or ExternalIds, in one SELECT ... FOR UPDATE."""
        ids, external_ids = sorted(set(ids)), sorted(set(external_ids))
        if len(ids) <= 1 and len(external_ids) <= 1:
            # One record (every single save): plain equalities, which any plan serves by index,
            # in a statement built once (building and keying it cost more than running it).
            if not ids and not external_ids:
                return []
            connection, sql = self._driver()
            person_id, external_id = (ids or [None])[0], (external_ids or [None])[0]
            cursor = sql.execute(connection, sql.person_lookup(bool(ids), bool(external_ids)),
                                 sql.lookup_parameters(client_id, person_id, external_id))
            return [sql.person(row) for row in cursor.fetchall()]
        connection, sql = self._driver()
        statement, parameters = sql.batch_lookup(client_id, ids, external_ids)
        cursor = sql.execute(connection, statement, parameters)
        return [sql.person(row) for row in cursor.fetchall()]

    def begin_batch(self, client_id: int, external_ids: Iterable[str]) -> None:
        """Before the batch's lookup: make batches that share a new ExternalId wait for each
        other instead of colliding.

        PostgreSQL: a transaction-scoped advisory lock per (client, ExternalId), taken in one
        sorted order so two batches cannot deadlock. SQLite needs none: its transactions
        begin IMMEDIATE, one writer at a time.
        """
        if self.connection().dialect.name != "postgresql":
            return
        keys = sorted({int.from_bytes(hashlib.blake2b(f"{client_id}\0{e}".encode(), digest_size=8).digest(),
                                      "big", signed=True) for e in external_ids})
        self._execute(_BEGIN_BATCH, {"keys": keys})

    def existing_ids(self, table: str, client_id: int, ids: Iterable[int]) -> set[int]:
        """Which of these IDs are rows of ``table`` belonging to the client."""
        ids = sorted(set(ids))
        if not ids:
            return set()
        if len(ids) == 1:
            connection, sql = self._driver()
            cursor = sql.execute(connection, sql.reference_exists(REFERENCE_TABLES[table].name),
                                 (client_id, ids[0]))
            return {row[0] for row in cursor.fetchall()}
        target = REFERENCE_TABLES[table]
        query = select(target.c.id).where(target.c.client_id == client_id, target.c.id.in_(ids))
        return set(self._execute(query).scalars())

    def insert(self, rows: list[dict]) -> list[int]:
        """Insert rows in one statement; answer their new IDs, in the given order.

        The IDs are taken first, so the INSERT needs no RETURNING: a multi-row INSERT ...
        RETURNING of 200 rows x 36 columns costs psycopg ~10 ms just to convert its
        placeholders (too long for its query cache), and SQLite cannot order RETURNING.
        """
        if not rows:
            return []
        if len(rows) == 1:  # a single save: one statement, the database names the row
            sql, run = self._one_row()
            return [sql.insert_person_with(run, rows[0])]
        ids = self._new_ids(len(rows))
        self._insert_rows(people, [{"id": i, **row} for i, row in zip(ids, rows, strict=True)])
        return ids

    def _insert_rows(self, table: Table, rows: list[dict]) -> None:
        """PostgreSQL: one COPY (a round trip, no per-row statement); elsewhere, and for a few
        rows, the driver's executemany. Values in ``DriverSql``'s formats (SQLAlchemy's own)."""
        connection, sql = self._driver()
        columns = tuple(c.name for c in table.columns if c.name in rows[0])
        if sql.sqlite or len(rows) < _COPY_FROM_ROWS:
            sql.execute_many(connection, sql.insert_rows(table.name, columns), sql.rows_of(columns, rows))
            return
        pooled = connection.connection
        # The driver's COPY, its errors as SQLAlchemy's: a database lost mid-COPY is Unavailable.
        with driver_errors(connection.dialect, pooled, connection.invalidate), \
                pooled.driver_connection.cursor() as cursor, cursor.copy(
                f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:  # noqa: S608 (our own names)
            for values in sql.rows_of(columns, rows):
                copy.write_row(values)

    def _new_ids(self, count: int) -> list[int]:
        if self.connection().dialect.name == "sqlite":
            # The transaction began IMMEDIATE (db.py): we are the only writer, so the IDs after
            # the highest are ours to give, as SQLite itself would give them.
            first = (self._execute(select(func.max(people.c.id))).scalar() or 0) + 1
            return list(range(first, first + count))
        sequence = func.pg_get_serial_sequence("people", "id")
        return sorted(self._execute(select(func.nextval(sequence)).select_from(
            func.generate_series(1, count))).scalars())

    def clear_external_ids(self, ids: Iterable[int]) -> None:
        """Release ExternalIds that move between rows of one batch before any row takes one."""
        ids = sorted(set(ids))
        if ids:
            self._execute(update(people).where(people.c.id.in_(ids)).values(external_id=None))

    def update(self, changes: dict[int, dict]) -> None:
        """Write changed columns by row ID: one statement (PostgreSQL) or executemany (SQLite)
        per distinct set of columns. Every row was locked by ``load`` or inserted here."""
        if len(changes) == 1:
            sql, run = self._one_row()
            sql.update_person_with(run, *next(iter(changes.items())))
            return
        connection, sql = self._driver()
        sql.update_people_with(connection, changes)

    def add_history(self, entries: list[dict]) -> None:
        """Insert user-type history lines (``person_id``, ``from_type``, ``to_type``, ``changed_at``)."""
        if len(entries) == 1:
            sql, run = self._one_row()
            sql.insert_history_with(run, *(entries[0][c] for c in sql.history_columns))
        elif entries:
            self._insert_rows(user_type_history, entries)
