"""Single saves over ``StatementRows``: the rules of ``planning``, without a unit of work.

On PostgreSQL a save of a new person (by ExternalId) is one autocommitted statement, and any
other save two, optimistic rather than locking (``adapters.people_statements``): the load of
the person's rows (or the insert that found them), then the write with the request's nonce,
which only touches the row if it is still the version the plan was made from. A save whose
row changed in between is planned again from what is stored then (its nonce, already
recorded, is not inserted again), so two saves of one person never overwrite each other
unseen, exactly as with the row lock of a transaction; one that keeps losing to other writers
of the person takes that row lock at last (``people.save_person``) and waits its turn. On
SQLite the same statements run in a transaction of the single writer, where nothing can
change in between (``adapters.writer_rows``); ``save_groups`` commits the saves that arrive
together in one.

A person and their history row are written together or not at all. A replay writes nothing
and is refused; a save refused by a rule, or one that writes nothing, has its nonce recorded
all the same (``settle``), as in ``people.save_person``. A credential whose
row is due for bookkeeping (its last use, once a minute) takes ``people.save_person``'s path,
which writes that row in the save's transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime

from ..domain.errors import Conflict, DomainError, SecurityRefused, Unavailable
from ..domain.fields import UserType
from ..domain.model import Principal
from ..domain.people import PersonChanges
from . import people
from .auth import Admission, replayed
from .planning import (
    ATTEMPTS,
    Plan,
    club_in_scope,
    load_plan,
    new_row,
    outcome_of,
    plan_of,
    plan_one,
    references_anything,
    write_one,
)
from .results import SaveOutcome
from .unit_of_work import statement_errors

log = logging.getLogger(__name__)

OpenRows = Callable[[], AbstractContextManager]  # -> StatementRows (adapters.people_statements)
Nonce = tuple[str, datetime, datetime] | None


def save_on(rows, nonce: Nonce, principal: Principal, club_id: int, user_type: UserType,
            changes: PersonChanges, test: bool, now: datetime) -> SaveOutcome | None:
    """One save's load and (unless nothing changes) write on ``rows``, its nonce recorded with
    them; None when its row changed in between (nothing written: plan it again)."""
    rows.admit(nonce)
    try:
        inserted, plan = _insert_if_new(rows, principal, club_id, user_type, changes, test, now)
        if inserted is not None:
            return inserted
        if plan is None:
            plan = load_plan(rows, principal.client_id, [changes])
        _refuse_a_replay(rows)  # SQLite knows already; PostgreSQL when the nonce is written
        club = club_in_scope(rows, principal, club_id)
        result = plan_one(plan, principal, club.id, user_type, changes, now)
    except (Unavailable, SecurityRefused):
        raise
    except DomainError:  # refused by a rule: its nonce is recorded all the same (unless a replay)
        rows.settle()
        _refuse_a_replay(rows)
        raise
    ids = {} if test else write_one(rows, plan, now)
    rows.settle()
    _refuse_a_replay(rows)
    if ids is None:
        return None
    return outcome_of(plan, ids, result).as_validated() if test else outcome_of(plan, ids, result)


def _insert_if_new(rows, principal: Principal, club_id: int, user_type: UserType, changes: PersonChanges,
                   test: bool, now: datetime) -> tuple[SaveOutcome | None, Plan | None]:
    """A record by ExternalId alone, planned as a new person and sent as one statement that
    inserts it unless the client has that ExternalId (``insert_unless_found``, PostgreSQL).
    Answers (the outcome, None) when inserted; (None, the plan over the found person) when
    known, to be planned as an update; (None, None) when not tried (an Id, a reference to
    check, a Test save, a rule that refuses it as new) or when a concurrent save inserted the
    ExternalId meanwhile: then the save loads as any other."""
    if (test or not rows.inserts_unless_found or changes.id is not None or changes.external_id is None
            or references_anything(changes)):
        return None, None
    club = club_in_scope(rows, principal, club_id)
    plan = plan_of([], {})
    try:
        result = plan_one(plan, principal, club.id, user_type, changes, now)
    except DomainError:
        return None, None  # it may hold for the person as stored: load first
    key, row, history = new_row(plan, now)
    new_id, found = rows.insert_unless_found(principal.client_id, changes.external_id, row, history)
    _refuse_a_replay(rows)
    if new_id is not None:
        return outcome_of(plan, {key: new_id}, result), None
    if not found:
        log.debug("a concurrent save inserted the ExternalId first")
    return None, (plan_of(found, {}) if found else None)


@contextmanager
def opened_rows(open_rows: OpenRows, opened: list):
    """``open_rows()``, appended to ``opened`` for the caller to look at afterwards, with the
    database's errors translated as a unit of work's (the pool's checkout included; a COMMIT
    or write sent counts as an outcome that may be unknown)."""
    with statement_errors(lambda: any(r.writing for r in opened)), open_rows() as rows:
        opened.append(rows)
        yield rows


def _refuse_a_replay(rows) -> None:
    if rows.nonce_was_fresh is False:
        raise replayed()


class StatementSaves:
    """``save(...)`` as ``people.save_person`` without the unit of work argument."""

    def __init__(self, open_rows: OpenRows, uow_factory: Callable[[], object]):
        self.open_rows = open_rows
        self.uow_factory = uow_factory

    def save(self, principal: Principal, club_id: int, user_type: UserType, changes: PersonChanges,
             test: bool = False, admit: Admission | None = None) -> SaveOutcome:
        if admit is not None and admit.needs_unit_of_work:
            return people.save_person(self.uow_factory(), principal, club_id, user_type, changes,
                                      test=test, admit=admit)
        now = people.utcnow()
        nonce = admit.database_nonce() if admit is not None else None
        recorded = False
        for _ in range(ATTEMPTS):
            opened: list = []
            try:
                outcome = self._attempt(opened, nonce, principal, club_id, user_type, changes, test, now)
            except Conflict:  # a concurrent INSERT of the same ExternalId won
                outcome = None
            if outcome is not None:
                return outcome
            rows = opened[0] if opened else None
            if rows is not None and rows.nonce_kept_on_failure and rows.nonce_was_fresh:
                nonce, recorded = None, True  # recorded for good: not to be taken for its own replay
        # Still losing to other writers of this person (many clients at one person at once): take
        # the row lock, as a unit of work does, so the save waits its turn instead of failing.
        return people.save_person(self.uow_factory(), principal, club_id, user_type, changes, test=test,
                                  admit=None if recorded else admit)

    def _attempt(self, opened: list, nonce: Nonce, *save) -> SaveOutcome | None:
        with opened_rows(self.open_rows, opened) as rows:
            try:
                return save_on(rows, nonce, *save)
            except (Unavailable, SecurityRefused):
                raise
            except DomainError as error:
                # Refused by a rule before anything of the person was written: what the load
                # wrote (the nonce) is committed all the same, in a transaction too.
                refused = error
        raise refused
