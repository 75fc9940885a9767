"""SQLite's single saves: ``StatementRows``' reads and writes as plain statements inside one
transaction of the single writer, which a group of saves shares (``service_layer/save_groups.py``).

There is no other writer to race, so no row versions are needed: nothing can change between a
load and its write, and nothing is written unless the transaction commits.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime

from ..domain.fields import UserType
from .db import take_writer_lock
from .people_statements import StatementRows, checkout


class WriterRows(StatementRows):
    """SQLite: the same, inside one transaction of the single writer (``transaction_rows``),
    so no row can change between a load and its write, and nothing is written unless the
    transaction commits (``writing`` is set only for the COMMIT)."""

    nonce_kept_on_failure = False  # rolled back with the rest
    inserts_unless_found = False  # statements in one transaction cost no round trips to save

    def _load(self, by_id: bool, by_external_id: bool, lookup: tuple) -> list[dict]:
        sql = self.sql
        if self._nonce is not None:  # first in the transaction: settled with it
            self._settled(sql.remember_nonce_with(self._execute, *self._nonce))
        if not by_id and not by_external_id:
            return []
        found = self._execute(sql.person_lookup(by_id, by_external_id, lock=False), lookup).fetchall()
        return [sql.person(row) for row in found]

    def insert_one(self, row: dict, history: tuple[UserType | None, UserType, datetime]) -> int:
        new_id = self.sql.insert_person_with(self._execute, row)
        self.sql.insert_history_with(self._execute, new_id, *history)
        return new_id

    def update_one(self, row_id: int, changed: dict,
                   history: tuple[UserType | None, UserType, datetime] | None) -> bool:
        self.sql.update_person_with(self._execute, row_id, changed)
        if history is not None:
            self.sql.insert_history_with(self._execute, row_id, *history)
        return True


def transaction_rows(engine) -> Callable[[], AbstractContextManager[WriterRows]]:
    """SQLite: ``open()`` a ``WriterRows`` in one write transaction, committed when the block
    ends without an error, rolled back otherwise.
    Queued on the writer lock as every SQLite writer is (``db.take_writer_lock``)."""

    @contextmanager
    def open_rows():
        pooled = checkout(engine)
        try:
            take_writer_lock(pooled.info)
            rows = WriterRows(pooled, engine)
            rows._execute("BEGIN IMMEDIATE", ())
            try:
                yield rows
            except BaseException:
                try:
                    if pooled.is_valid:
                        pooled.driver_connection.rollback()
                except engine.dialect.loaded_dbapi.Error as error:
                    pooled.invalidate(error)
                raise
            rows.writing = True
            rows._execute("COMMIT", ())
        finally:
            pooled.close()  # the pool's check-in frees the writer lock
    return open_rows


__all__ = ["WriterRows", "transaction_rows"]
