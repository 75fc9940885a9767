"""Single saves of concurrent requests, written in one transaction and one commit (SQLite).

When a save arrives while another is being written, it waits and joins the next group: one
thread (the leader) queues for the single writer (``transaction_rows``), takes every save
waiting by the time it has it (those that arrived while other processes wrote), runs them in
that one transaction, each exactly as it would run alone (``statement_saves.save_on``: its
nonce, its checks, its writes), and commits once: one trip through the writer's queue and
one fsync for the group instead of one per request.

- A rule that refuses one save refuses only that one: it raises before anything of the
  person is written, so the group goes on; its nonce stays recorded, as it would alone.
- Anything the database refuses (a lost race, a deadlock between two groups, a broken
  connection before COMMIT) rolls the whole group back; each of its saves then runs again
  alone (``StatementSaves``, with its own retries), so no save fails for another's sake.
- A save whose credential is due for bookkeeping is never grouped (``StatementSaves`` sends it
  through a unit of work).
- A connection that broke during COMMIT leaves every save of the group unknown: each is
  told so (``Server.Unavailable``: may or may not be stored; retrying with Id or ExternalId
  is safe), as a single save would be.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from ..domain.errors import Conflict, DomainError, Unavailable
from ..domain.fields import UserType
from ..domain.model import Principal
from ..domain.people import PersonChanges
from . import people
from .auth import Admission
from .results import SaveOutcome
from .statement_saves import OpenRows, StatementSaves, opened_rows, save_on

MAX_GROUP = 16


class _Save:
    def __init__(self, arguments: tuple, admit: Admission | None):
        self.arguments = arguments  # principal, club ID, user type, changes, test
        self.admit = admit
        self.outcome: SaveOutcome | None = None
        self.error: BaseException | None = None
        self.done = threading.Event()
        self.lead = False  # set when this waiting save's thread is to write the next group

    def answer(self) -> SaveOutcome:
        if self.outcome is None:
            raise self.error or RuntimeError("the save's group ended without writing it")
        return self.outcome


class SaveGroups:
    """``save(...)``: as ``people.save_person``, with concurrent saves committed together."""

    def __init__(self, open_rows: OpenRows, uow_factory: Callable[[], object], max_group: int = MAX_GROUP):
        self.open_rows = open_rows  # one write transaction (``transaction_rows``)
        self.single = StatementSaves(open_rows, uow_factory)
        self.max_group = max_group
        self._lock = threading.Lock()
        self._waiting: list[_Save] = []
        self._writing = False

    def save(self, principal: Principal, club_id: int, user_type: UserType, changes: PersonChanges,
             test: bool = False, admit: Admission | None = None) -> SaveOutcome:
        if admit is not None and admit.needs_unit_of_work:
            return self.single.save(principal, club_id, user_type, changes, test, admit)
        mine = _Save((principal, club_id, user_type, changes, test), admit)
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
        group: list[_Save] = []
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

    def _take_group(self, group: list[_Save]) -> None:
        with self._lock:
            group.extend(self._waiting[:self.max_group])
            del self._waiting[:len(group)]

    def _write(self, group: list[_Save]) -> None:
        """Queue for the writer first, then take every save waiting by then: while the other
        worker processes write, this one's saves gather, and go in together."""
        opened: list = []
        try:
            with opened_rows(self.open_rows, opened) as rows:
                self._take_group(group)
                now = people.utcnow()
                for save in group:
                    try:
                        nonce = save.admit.database_nonce() if save.admit is not None else None
                        save.outcome = save_on(rows, nonce, *save.arguments, now)
                    except Unavailable:
                        raise
                    except DomainError as error:  # refused by a rule: nothing of it written
                        save.error = error
        except Exception as error:
            if not group:  # the writer could not be reached: each save tries alone, and says why
                self._take_group(group)
            committing = bool(opened) and opened[0].writing
            if committing and isinstance(error, Unavailable) and not isinstance(error, Conflict):
                # The connection broke during COMMIT: stored or not, nobody knows; say so to all.
                for save in group:
                    save.outcome, save.error = None, error
                return
            for save in group:  # a lost race, a deadlock, a broken connection: each alone
                self._alone(save)

    def _alone(self, save: _Save) -> None:
        save.outcome = save.error = None
        try:
            save.outcome = self.single.save(*save.arguments, admit=save.admit)
        except BaseException as error:  # handed to the request's own thread, raised there
            save.error = error
