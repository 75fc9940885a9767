"""SQLite's ``PeopleStore``: single saves of concurrent requests committed together.

Purpose: the store the app factory chooses for SQLite. SQLite has one writer, so a save's
reads and writes run as plain statements inside one write transaction (``WriterWrites``),
where no row can change between a load and its write and nothing is written unless the
transaction commits. Saves that arrive while another group is being written wait and join the
next group: one thread (the leader) queues for the writer (``db.take_writer_lock``), takes
every save waiting by then, runs each exactly as it would run alone (its nonce, its checks, its
writes), and commits once: one trip through the writer's queue and one fsync for the group.
``run_locked`` is the unit of work of ``people_rows`` (batches) over ``SqlitePeopleRows``:
SQLite's part of the set-based writes (new IDs under the single writer, executemany).

Contract:
- a rule that refuses one save refuses only that one: it raises before anything of the person
  is written, so the group goes on, and its nonce stays recorded, as it would alone;
- anything the database refuses (a lost race, a broken connection before COMMIT) rolls the
  whole group back; each of its saves then runs again alone, in a transaction of its own, so no
  save fails for another's sake;
- a connection that broke during COMMIT leaves every save of the group unknown: each is told
  so (``Unavailable``: may or may not be stored; retrying with Id or ExternalId is safe).

Trade-off: a save may wait for the group before it (at most ``MAX_GROUP`` saves) instead of
queueing for the writer alone; the group's single fsync is what pays for that wait.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Table, func, select

from ..domain.errors import Conflict, DomainError, Unavailable
from ..domain.fields import UserType
from .credential_store import PurgeSchedule
from .database_errors import statement_errors
from .db import take_writer_lock
from .driver_sql import DIALECTS
from .orm import people
from .people_postgresql import checkout
from .people_rows import PeopleRows, run_locked
from .repository import known_club

MAX_GROUP = 16
_SQL = DIALECTS["sqlite"]
_INSERT_PERSON = (f"INSERT INTO people ({', '.join(_SQL.people_insert_columns)}) "  # noqa: S608 (our own names)
                  f"VALUES ({', '.join(['?'] * len(_SQL.people_insert_columns))}) RETURNING id")
T = TypeVar("T")


class WriterWrites:
    """``PeopleWrites`` (``service_layer.people``) of one save inside the group's write
    transaction: the nonce is written first, the person's rows read and written as plain
    statements; everything is committed with the group (``committed()`` then)."""

    def __init__(self, transaction: _WriterTransaction, clubs: dict, nonce_purge: PurgeSchedule):
        self._execute = transaction.execute
        self._clubs = clubs
        self._nonce_purge = nonce_purge
        self._record = None

    def record_nonce(self, nonce) -> None:
        self._record = nonce
        key = nonce.database_nonce() if nonce is not None else None
        if key is None:
            return
        if self._nonce_purge.due():
            self._execute(_SQL.purge_nonces, (_SQL.value(key[2]),))
        if not _SQL.remember_nonce_with(self._execute, *key):
            nonce.recorded(fresh=False)  # a replay: refused before anything else is written

    def club(self, client_id: int, club_id: int | None):
        return known_club(self._clubs, client_id, club_id, lambda number: _SQL.club_of(self._execute, number))

    def load(self, client_id: int, ids, external_ids) -> list[dict]:
        lookup = _SQL.record_lookup(client_id, ids, external_ids)
        return [_SQL.person(row) for row in self._execute(*lookup).fetchall()] if lookup is not None else []

    def existing_ids(self, table: str, client_id: int, ids) -> set[int]:
        return _SQL.existing_ids_with(self._execute, table, client_id, ids)

    def take_turns(self, client_id: int, external_ids) -> None:
        """Nothing to do: the write transaction is the only writer."""

    def insert_unless_found(self, client_id: int, external_id: str, row: dict,
                            history: tuple[UserType | None, UserType, datetime]
                            ) -> tuple[int | None, list[dict]]:
        found = self.load(client_id, [], [external_id])
        if found:
            return None, found
        return self._insert(row, history), []

    def write(self, planned) -> dict[int, int]:
        ids = {key: self._insert(row, planned.history_of(key)) for key, row in planned.inserts}
        for row_id, changed in planned.updates.items():
            _SQL.update_person_with(self._execute, row_id, changed)
            history = planned.history_of(row_id)
            if history is not None:
                _SQL.insert_history_with(self._execute, row_id, *history)
        return ids

    def _insert(self, row: dict, history: tuple[UserType | None, UserType, datetime]) -> int:
        values = [_SQL.value(row[c]) for c in _SQL.people_insert_columns]
        new_id = self._execute(_INSERT_PERSON, values).fetchone()[0]
        _SQL.insert_history_with(self._execute, new_id, *history)
        return new_id

    def finish(self) -> None:
        """Nothing left: the nonce was written first, in this transaction."""

    def committed(self) -> None:
        if self._record is not None:
            self._record.recorded()


class _WriterTransaction:
    """One write transaction on a pooled connection, queued on the writer lock as every SQLite
    writer is; committed when the block ends without an error, rolled back otherwise.
    ``committing`` is set once COMMIT was sent (its outcome may then be unknown)."""

    def __init__(self, engine):
        self.engine = engine
        self.committing = False

    def execute(self, sql: str, parameters):
        return _SQL.execute_pooled(self.engine.dialect, self._pooled, sql, parameters)

    def __enter__(self) -> _WriterTransaction:
        self._pooled = checkout(self.engine)
        try:
            take_writer_lock(self._pooled.info)
            self.execute("BEGIN IMMEDIATE", ())
        except BaseException:
            self._pooled.close()
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        pooled = self._pooled
        try:
            if exc is None:
                self.committing = True
                self.execute("COMMIT", ())
                return
            try:
                if pooled.is_valid:
                    pooled.driver_connection.rollback()
            except self.engine.dialect.loaded_dbapi.Error as error:
                pooled.invalidate(error)
        finally:
            pooled.close()  # the pool's check-in frees the writer lock


class _Waiting:
    """One save waiting for its group: its work, then its answer."""

    def __init__(self, work: Callable):
        self.work = work
        self.result = None
        self.error: BaseException | None = None
        self.writes: WriterWrites | None = None
        self.done = threading.Event()
        self.lead = False  # set when this waiting save's thread is to write the next group

    def answer(self):
        if self.error is not None:
            raise self.error
        return self.result


class SqlitePeopleStore:
    """``PeopleStore`` (``service_layer.people``) on SQLite: see the module's docstring."""

    def __init__(self, engine, uow_factory: Callable[[], object], nonce_purge: PurgeSchedule | None = None,
                 max_group: int = MAX_GROUP):
        self.engine = engine
        self.uow_factory = uow_factory
        self.nonce_purge = nonce_purge or PurgeSchedule()
        self.max_group = max_group
        self._clubs: dict = {}
        self._lock = threading.Lock()
        self._waiting: list[_Waiting] = []
        self._writing = False

    def run_locked(self, work):
        return run_locked(self.uow_factory, work)

    def run(self, work: Callable[[WriterWrites], T]) -> T:
        mine = _Waiting(work)
        with self._lock:
            self._waiting.append(mine)
            lead = not self._writing
            self._writing = True
        if not lead:
            mine.done.wait()
            if not mine.lead:
                return mine.answer()
        self._write_next_group()
        mine.done.wait()
        return mine.answer()

    def _write_next_group(self) -> None:
        group: list[_Waiting] = []
        try:
            self._write(group)
        finally:
            with self._lock:
                successor = self._waiting[0] if self._waiting else None
                self._writing = successor is not None
            if successor is not None:  # the first one waiting writes the next group
                successor.lead = True
                successor.done.set()
            for save in group:
                save.done.set()

    def _take_group(self, group: list[_Waiting]) -> None:
        with self._lock:
            group.extend(self._waiting[:self.max_group])
            del self._waiting[:len(group)]

    def _write(self, group: list[_Waiting]) -> None:
        """Queue for the writer first, then take every save waiting by then: while the other
        worker processes write, this one's saves gather, and go in together."""
        transaction = _WriterTransaction(self.engine)
        try:
            self._run_group(transaction, group, take=True)
        except Exception as error:
            if not group:  # the writer could not be reached: each save tries alone, and says why
                self._take_group(group)
            if transaction.committing and isinstance(error, Unavailable) and not isinstance(error, Conflict):
                # The connection broke during COMMIT: stored or not, nobody knows; say so to all.
                for save in group:
                    save.result, save.error = None, error
                return
            for save in group:  # a lost race, a broken connection: each alone
                save.result = save.error = None
                try:
                    self._run_group(_WriterTransaction(self.engine), [save], take=False)
                except BaseException as alone:  # handed to the request's own thread, raised there
                    save.error = alone

    def _run_group(self, transaction: _WriterTransaction, group: list[_Waiting], take: bool) -> None:
        with statement_errors(lambda: transaction.committing), transaction:
            if take:
                self._take_group(group)
            for save in group:
                save.writes = WriterWrites(transaction, self._clubs, self.nonce_purge)
                try:
                    save.result = save.work(save.writes)
                except Unavailable:
                    raise
                except DomainError as error:  # refused by a rule (or a replay): nothing of it written
                    save.error = error
        for save in group:
            save.writes.committed()


__all__ = ["MAX_GROUP", "SqlitePeopleStore", "WriterWrites"]


class SqlitePeopleRows(PeopleRows):
    """SQLite's part of the locking saves (batches): its transactions begin IMMEDIATE (``db.py``),
    one writer at a time, so batches need no turn-taking and the IDs after the highest are ours."""

    def begin_batch(self, client_id: int, external_ids) -> None:
        """Nothing to take: the single writer already holds the database."""

    def _new_ids(self, count: int) -> list[int]:
        first = (self._execute(select(func.max(people.c.id))).scalar() or 0) + 1
        return list(range(first, first + count))

    def _insert_rows(self, table: Table, rows: list[dict]) -> None:
        """The driver's executemany of one INSERT."""
        connection, sql = self._driver()
        columns = tuple(c.name for c in table.columns if c.name in rows[0])
        sql.execute_many(connection, sql.insert_rows(table.name, columns), sql.rows_of(columns, rows))
