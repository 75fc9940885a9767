"""Set-based reads and writes of people rows in a unit of work: the locking saves (the part both
engines share; each engine's own SQL is in ``people_postgresql`` and ``people_sqlite``).

Purpose: ``SessionWrites`` is the ``PeopleWrites`` of ``PeopleStore.run_locked`` on both
engines (batches, and a single save that keeps losing races or whose credential row is due):
rows are loaded locked (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's single writer is
alone), so a write never finds a row changed.

Trade-off: a batch of up to 200 records costs a handful of statements instead of a round trip
per record (one SELECT for the rows, one per referenced table, the new IDs, one insert of the
new people and one of their history rows, COPY on PostgreSQL for more than a few, one UPDATE per
set of changed columns); the same statements serve a plan of one, which is rare here. Rows
travel as plain dicts keyed by column name; no ORM identity map is involved.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from ..domain.errors import DomainError, Unavailable
from .driver_sql import DIALECTS, DriverSql
from .orm import lead_sources, people, staff, user_type_history

REFERENCE_TABLES: dict[str, Table] = {"staff": staff, "lead_sources": lead_sources}


class PeopleRows:
    """The set-based reads and writes both engines share; ``PostgresPeopleRows``
    (``people_postgresql``) and ``SqlitePeopleRows`` (``people_sqlite``) add each engine's
    turn-taking, new IDs and bulk insert."""

    def __init__(self, session: Session):
        self.session = session
        self._transaction = self._connection = None

    def connection(self):
        """The session's connection, asked of the session once per transaction (asking walks
        the session's state machine each time)."""
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

    def load(self, client_id: int, ids: Iterable[int], external_ids: Iterable[str]) -> list[dict]:
        """Every row of the client with one of these IDs or ExternalIds, in one SELECT ... FOR UPDATE."""
        ids, external_ids = sorted(set(ids)), sorted(set(external_ids))
        if not ids and not external_ids:
            return []
        connection, sql = self._driver()
        statement, parameters = sql.batch_lookup(client_id, ids, external_ids)
        cursor = sql.execute(connection, statement, parameters)
        return [sql.person(row) for row in cursor.fetchall()]

    def begin_batch(self, client_id: int, external_ids: Iterable[str]) -> None:
        """Before the batch's lookup: make batches that share a new ExternalId wait for each
        other instead of colliding (each engine's own way)."""
        raise NotImplementedError

    def existing_ids(self, table: str, client_id: int, ids: Iterable[int]) -> set[int]:
        """Which of these IDs are rows of ``table`` belonging to the client."""
        ids = sorted(set(ids))
        if not ids:
            return set()
        target = REFERENCE_TABLES[table]
        query = select(target.c.id).where(target.c.client_id == client_id, target.c.id.in_(ids))
        return set(self._execute(query).scalars())

    def insert(self, rows: list[dict]) -> list[int]:
        """Insert rows in one statement; answer their new IDs, in the given order.

        The IDs are taken first, so the INSERT needs no RETURNING: psycopg converts the
        placeholders of a multi-row INSERT ... RETURNING on every call (too long for its query
        cache), and SQLite cannot order RETURNING.
        """
        if not rows:
            return []
        ids = self._new_ids(len(rows))
        self._insert_rows(people, [{"id": i, **row} for i, row in zip(ids, rows, strict=True)])
        return ids

    def _insert_rows(self, table: Table, rows: list[dict]) -> None:
        """Insert rows (values in ``DriverSql``'s formats), each engine's fastest way."""
        raise NotImplementedError

    def _new_ids(self, count: int) -> list[int]:
        """``count`` new IDs of people, ascending, reserved for this transaction."""
        raise NotImplementedError

    def clear_external_ids(self, ids: Iterable[int]) -> None:
        """Release ExternalIds that move between rows of one batch before any row takes one."""
        ids = sorted(set(ids))
        if ids:
            self._execute(update(people).where(people.c.id.in_(ids)).values(external_id=None))

    def update(self, changes: dict[int, dict]) -> None:
        """Write changed columns by row ID: one statement (PostgreSQL) or executemany (SQLite)
        per distinct set of columns. Every row was locked by ``load`` or inserted here."""
        connection, sql = self._driver()
        sql.update_people_with(connection, changes)

    def add_history(self, entries: list[dict]) -> None:
        """Insert user-type history lines (``person_id``, ``from_type``, ``to_type``, ``changed_at``)."""
        if entries:
            self._insert_rows(user_type_history, entries)


class SessionWrites:
    """``PeopleWrites`` (``service_layer.people``) in one unit of work: the rows are locked as
    loaded, the nonce and the credential's bookkeeping written first (``NonceRecord.write``)."""

    def __init__(self, uow):
        self.uow = uow
        self.rows: PeopleRows = uow.people_rows
        self._nonce = None

    def record_nonce(self, nonce) -> None:
        if nonce is not None:
            nonce.write(self.uow)
            self._nonce = nonce

    def club(self, client_id: int, club_id: int | None):
        return self.uow.clubs.get(client_id, club_id)

    def load(self, client_id: int, ids, external_ids) -> list[dict]:
        return self.rows.load(client_id, ids, external_ids)

    def existing_ids(self, table: str, client_id: int, ids) -> set[int]:
        return self.rows.existing_ids(table, client_id, ids)

    def take_turns(self, client_id: int, external_ids) -> None:
        self.rows.begin_batch(client_id, external_ids)

    def insert_unless_found(self, client_id: int, external_id: str, row: dict,
                            history) -> tuple[int | None, list[dict]]:
        found = self.rows.load(client_id, [], [external_id])
        if found:
            return None, found
        (new_id,) = self.rows.insert([row])
        self.rows.add_history([{"person_id": new_id, "from_type": history[0], "to_type": history[1],
                                "changed_at": history[2]}])
        return new_id, []

    def write(self, planned) -> dict[int, int]:
        self.rows.clear_external_ids(planned.moving)
        self.rows.update(planned.updates)
        keys = [key for key, _row in planned.inserts]
        ids = dict(zip(keys, self.rows.insert([row for _key, row in planned.inserts]), strict=True))
        self.rows.add_history([{"person_id": ids.get(key, key), "from_type": from_type, "to_type": to_type,
                                "changed_at": planned.at} for key, from_type, to_type in planned.history])
        return ids

    def finish(self) -> None:
        """Nothing left: the nonce was written first, in this transaction."""

    def committed(self) -> None:
        if self._nonce is not None:
            self._nonce.recorded()


def run_locked(uow_factory, work):
    """``PeopleStore.run_locked`` on either engine: ``work(SessionWrites)`` in one unit of work,
    committed once. A rule's refusal (a ``DomainError`` other than ``Unavailable``) keeps what
    ``work`` wrote before it (the nonce) and is raised after the commit."""
    uow = uow_factory()
    with uow:
        writes = SessionWrites(uow)
        try:
            result = work(writes)
        except Unavailable:
            raise
        except DomainError:
            uow.commit()
            writes.committed()
            raise
        uow.commit()
        writes.committed()
        return result
