"""Saving prospects, members and ex-members: the save use cases of the contract.

Both a single save and a batch are planned by ``planning`` (the rules over rows loaded
set-based) and written in one transaction; a lost race against a concurrent save is
planned again from what is stored then. (The SOAP hot path for single saves writes the same
plans without a unit of work: ``statement_saves``.)

``admit`` (optional) is the authentication's own write for this request (the nonce of its
UsernameToken): done first inside the save's transaction, so an authenticated save costs
one commit, not two. A request refused by a save rule still has its nonce recorded, in a
transaction of its own, so a refused message can never be replayed later either.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, datetime

from ..domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    RolledBack,
    SecurityRefused,
    Unavailable,
    ValidationError,
)
from ..domain.fields import BATCH_MAX, Action, UserType
from ..domain.model import Principal
from ..domain.people import PersonChanges
from .planning import ATTEMPTS, Result, club_in_scope, load_plan, outcome_of, plan_one, write_plan
from .results import SaveOutcome
from .unit_of_work import UnitOfWork

Admit = Callable[[UnitOfWork], None]
_CHANGED = (Action.INSERTED, Action.UPDATED)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _retried(attempt: Callable[[], object]):
    """Run ``attempt`` again when a concurrent save got in the way (it reads afresh each time)."""
    for number in range(ATTEMPTS):
        try:
            return attempt()
        except Conflict:
            if number == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _save_in(uow: UnitOfWork, principal: Principal, club_id: int, user_type: UserType,
            changes: PersonChanges, test: bool, admit: Admit | None, now: datetime) -> SaveOutcome:
    """One save inside the caller's open unit of work, not committed. A rule that refuses it
    raises before anything of the person is written (only ``admit``'s nonce is)."""
    if admit is not None:
        admit(uow)
    club = club_in_scope(uow, principal, club_id)
    plan = load_plan(uow.people_rows, principal.client_id, [changes])
    result = plan_one(plan, principal, club.id, user_type, changes, now)
    if test:
        return outcome_of(plan, {}, result).as_validated()
    return outcome_of(plan, write_plan(uow.people_rows, plan, now), result)


def _needs_commit(outcome: SaveOutcome, admit: Admit | None) -> bool:
    return admit is not None or outcome.action in _CHANGED


def save_person(uow: UnitOfWork, principal: Principal, club_id: int, user_type: UserType,
                changes: PersonChanges, test: bool = False, admit: Admit | None = None) -> SaveOutcome:
    """Insert, update, convert or move one person; committed before it returns."""
    now = utcnow()

    def attempt() -> SaveOutcome:
        with uow:
            outcome = _save_in(uow, principal, club_id, user_type, changes, test, admit, now)
            if _needs_commit(outcome, admit):
                uow.commit()
            return outcome

    with _admitted_when_refused(uow, admit):
        return _retried(attempt)


@contextmanager
def _admitted_when_refused(uow: UnitOfWork, admit: Admit | None):
    """A request refused by a rule still has its nonce recorded (not a replay's), so that the
    refused message can never be replayed later either."""
    try:
        yield
    except (SecurityRefused, Unavailable):
        raise
    except DomainError:
        if admit is not None:
            admit_alone(uow, admit)
        raise


def admit_alone(uow: UnitOfWork, admit: Admit) -> None:
    """``admit`` in a transaction of its own: for a request refused before its save."""
    with uow:
        admit(uow)
        uow.commit()


def save_people(uow: UnitOfWork, principal: Principal, club_id: int, user_type: UserType,
                batch: list[PersonChanges], all_or_none: bool = False,
                test: bool = False, admit: Admit | None = None) -> list[SaveOutcome]:
    """Save up to ``BATCH_MAX`` people; one result per record, in input order.

    A failing record fails alone unless ``all_or_none``, which saves nothing and marks
    every record failed. Done set-based, a few statements per batch (``planning``).
    ``admit``'s nonce is written in the batch's transaction, as ``save_person``'s.
    """
    with _admitted_when_refused(uow, admit):
        if not 1 <= len(batch) <= BATCH_MAX:
            raise ValidationError("Records", f"A batch holds 1 to {BATCH_MAX} records.")
        now = utcnow()
        return _retried(lambda: _save_batch(uow, principal, club_id, user_type, batch, all_or_none,
                                            test, admit, now))


def _save_batch(uow: UnitOfWork, principal: Principal, club_id: int, user_type: UserType,
                batch: list[PersonChanges], all_or_none: bool, test: bool, admit: Admit | None,
                now: datetime) -> list[SaveOutcome]:
    """One attempt at a batch, committed unless it wrote nothing (and admitted nothing)."""
    with uow:
        if admit is not None:
            admit(uow)
        club = club_in_scope(uow, principal, club_id)
        plan = load_plan(uow.people_rows, principal.client_id, batch)
        results = []
        for changes in batch:
            try:
                results.append(plan_one(plan, principal, club.id, user_type, changes, now))
            except (ValidationError, NotFound, Forbidden) as error:
                results.append(Result(Action.FAILED, error=error))
        if all_or_none and any(r.action is Action.FAILED for r in results):
            undone = RolledBack("Not saved: another record of this AllOrNone batch failed.")
            outcomes = [outcome_of(plan, {}, r if r.action is Action.FAILED
                                   else Result(Action.FAILED, error=undone)) for r in results]
        elif test:  # every rule was checked while planning; nothing is written
            outcomes = [o if o.action is Action.FAILED else o.as_validated()
                        for o in (outcome_of(plan, {}, r) for r in results)]
        else:
            ids = write_plan(uow.people_rows, plan, now)
            outcomes = [outcome_of(plan, ids, r) for r in results]
        if admit is not None or any(o.action in _CHANGED for o in outcomes):
            uow.commit()
        return outcomes
