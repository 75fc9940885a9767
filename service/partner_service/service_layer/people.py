"""Saving prospects, members and ex-members: the one runtime path of every save operation.

Purpose: ``save_person`` (SaveProspect, SaveMember, SaveExMember) and ``save_people`` (their
batch forms) are the only use cases that save people; every SOAP entry for a save (the fast
front ``entrypoints/soap/single_saves.py`` and spyne's operations in
``entrypoints/soap/services.py``) builds a ``SaveRequest`` and calls one of them. They own
every rule of a save once: the request's nonce is recorded with the save, also when a rule
refuses it; a ``Test`` save checks everything and writes nothing else; a lost race is planned
again from what is stored then. Stale, Unchanged and the conversion history are decided by
``planning`` over the rows the store loaded.

Contract: the use cases run over a ``PeopleStore`` (a port: one implementation per engine in
``adapters/people_postgresql.py`` and ``adapters/people_sqlite.py``, chosen once by the app
factory). ``store.run(work)`` runs one attempt of a single save; ``store.run_locked(work)``
one attempt that locks the rows it loads (batches, and a single save that keeps losing
races). Either way, what ``work`` wrote is committed once, as one commit, or not at all; an
error of a rule raised by ``work`` keeps what it wrote before (the nonce) and is the
request's answer.

A SaveProspect, from the WSGI entry to its SQL and back: ``entrypoints/wsgi.py`` ->
``entrypoints/soap/single_saves.py`` (parse, token, read) -> here -> ``planning.py`` (the rules,
in memory) -> ``adapters/people_postgresql.py`` or ``adapters/people_sqlite.py`` (the store) ->
``adapters/driver_sql.py`` (the statements' text and their execution on the driver).

Trade-off: a single save is optimistic (``PeopleWrites.write`` answers None when the row
changed since it was loaded, and the save is planned again), which lets PostgreSQL write a
new person in one statement and hold no lock between statements; a save that loses
``ATTEMPTS`` times in a row falls back to the locks a batch takes, so it waits its turn
instead of failing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, TypeVar

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
from ..domain.model import Club, Principal
from ..domain.people import PersonChanges
from .auth import NonceRecord
from .planning import (
    Plan,
    PlannedWrite,
    Result,
    club_in_scope,
    load_plan,
    outcome_of,
    plan_record,
    planned_write,
    references_anything,
)
from .results import SaveOutcome

# A lost race (a row changed since it was read, a concurrent insert of the same ExternalId, a
# deadlock): plan again this often before taking the locks (single saves) or giving up.
ATTEMPTS = 5
T = TypeVar("T")
log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class SaveRequest:
    """One save operation as the use cases take it: who, where, what, and how.

    ``records`` holds one record for ``save_person``, 1 to ``BATCH_MAX`` for ``save_people``;
    ``nonce`` is the authenticated token's writes (``auth.NonceRecord``), recorded with the
    save, or None when the authentication wrote them already."""

    principal: Principal
    club_id: int | None
    user_type: UserType
    records: tuple[PersonChanges, ...]
    test: bool = False
    all_or_none: bool = False
    nonce: NonceRecord | None = None

    @classmethod
    def single(cls, principal: Principal, club_id: int | None, user_type: UserType,
               changes: PersonChanges, test: bool = False, nonce: NonceRecord | None = None) -> SaveRequest:
        return cls(principal, club_id, user_type, (changes,), test=test, nonce=nonce)


class PeopleWrites(Protocol):
    """What one attempt of a save reads and writes (one transaction, or autocommitted statements
    that each stand alone). Every method may raise ``Unavailable`` (``Conflict`` for a lost
    race); ``SecurityRefused`` for a replayed nonce, before anything else is written."""

    def record_nonce(self, nonce: NonceRecord | None) -> None:
        """The request's token writes, recorded with this attempt's first write or ``finish``."""

    def club(self, client_id: int, club_id: int | None) -> Club | None: ...

    def load(self, client_id: int, ids: list[int], external_ids: list[str]) -> list[dict]:
        """The client's rows with one of these IDs or ExternalIds, each at a known version."""

    def existing_ids(self, table: str, client_id: int, ids: list[int]) -> set[int]: ...

    def take_turns(self, client_id: int, external_ids: list[str]) -> None:
        """Before a batch's load: batches sharing an ExternalId wait for each other."""

    def insert_unless_found(self, client_id: int, external_id: str, row: dict,
                            history: tuple[UserType | None, UserType, datetime]
                            ) -> tuple[int | None, list[dict]]:
        """Insert the new person (with history) unless the client has that ExternalId: (the new
        ID, []), or (None, [the person's row]), or (None, []) when a concurrent save inserted it."""

    def write(self, planned: PlannedWrite) -> dict[int, int] | None:
        """Write the plan, each row only at the version it was loaded at; each new key -> its
        ID, or None when a row changed since (nothing of the person written: plan again)."""

    def finish(self) -> None:
        """Record the nonce if no write carried it (nothing to write, Test, refused)."""


class PeopleStore(Protocol):
    """People storage for the save use cases, one implementation per engine."""

    def run(self, work: Callable[[PeopleWrites], T]) -> T:
        """One attempt of a single save; ``write`` may answer None (optimistic)."""

    def run_locked(self, work: Callable[[PeopleWrites], T]) -> T:
        """One attempt that locks what it loads, in one transaction; ``write`` never answers None."""


def save_person(store: PeopleStore, request: SaveRequest) -> SaveOutcome:
    """Insert, update, convert or move one person; committed (with the nonce) before it returns."""
    now = utcnow()
    nonce = request.nonce
    if nonce is None or not nonce.needs_transaction:  # the credential's row is written only under locks
        for _ in range(ATTEMPTS):
            try:
                outcome = store.run(lambda writes: _save_one(writes, request, now))
            except Conflict:  # a concurrent INSERT of the same ExternalId won
                continue
            if outcome is not None:
                return outcome
    # Still losing to other writers of this person (many clients at one person at once): take
    # the row lock, as a batch does, so the save waits its turn instead of failing.
    return _retried(lambda: store.run_locked(lambda writes: _save_one(writes, request, now)))


def save_people(store: PeopleStore, request: SaveRequest) -> list[SaveOutcome]:
    """Save up to ``BATCH_MAX`` people; one result per record, in input order.

    A failing record fails alone unless ``all_or_none``, which saves nothing and marks every
    record failed. The batch is planned from rows loaded (and locked) in one go, and written
    with a few statements whatever its size."""
    now = utcnow()
    return _retried(lambda: store.run_locked(lambda writes: _save_batch(writes, request, now)))


def record_nonce_alone(store: PeopleStore, nonce: NonceRecord) -> None:
    """Record the nonce of a request refused before its save (a schema fault), so that the
    refused message can never be replayed either."""
    def work(writes: PeopleWrites) -> None:
        writes.record_nonce(nonce)
        writes.finish()
    (store.run_locked if nonce.needs_transaction else store.run)(work)


def _retried(attempt: Callable[[], T]) -> T:
    """Run ``attempt`` again when a concurrent save got in the way (it reads afresh each time)."""
    for number in range(ATTEMPTS):
        try:
            return attempt()
        except Conflict:
            if number == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _refused_with_nonce(writes: PeopleWrites, run: Callable[[], T]) -> T:
    """``run()``; when a rule refuses the request, its nonce is recorded all the same (a replay's
    is not: it was refused because the nonce was recorded before)."""
    try:
        return run()
    except (Unavailable, SecurityRefused):
        raise
    except DomainError:
        writes.finish()
        raise


def _save_one(writes: PeopleWrites, request: SaveRequest, now: datetime) -> SaveOutcome | None:
    """One attempt at a single save; None when its row changed before the write."""
    writes.record_nonce(request.nonce)
    plan, result, ids = _refused_with_nonce(writes, lambda: _plan_one(writes, request, now))
    if ids is None and not request.test:
        ids = writes.write(planned_write(plan, now))
        if ids is None:
            writes.finish()
            return None
    writes.finish()
    outcome = outcome_of(plan, ids or {}, result)
    return outcome.as_validated() if request.test else outcome


def _plan_one(writes: PeopleWrites, request: SaveRequest, now: datetime
              ) -> tuple[Plan, Result, dict[int, int] | None]:
    """The plan of one record and its result; with the new ID when it was inserted already."""
    (changes,) = request.records
    principal, client_id = request.principal, request.principal.client_id
    plan = None
    club = club_in_scope(writes.club, principal, request.club_id)
    if (not request.test and changes.id is None and changes.external_id is not None
            and not references_anything(changes)):
        # By ExternalId alone: planned as a new person, inserted unless the client has that
        # ExternalId (then planned as an update of the person found).
        new = Plan.over([])
        try:
            result = plan_record(new, principal, club.id, request.user_type, changes, now)
        except DomainError:
            result = None  # it may hold for the person as stored: load first
        if result is not None:
            ((key, row),) = planned_write(new, now).inserts
            ((_key, from_type, to_type),) = new.history
            new_id, found = writes.insert_unless_found(client_id, changes.external_id, row,
                                                       (from_type, to_type, now))
            if new_id is not None:
                return new, result, {key: new_id}
            if not found:
                log.debug("a concurrent save inserted the ExternalId first")
            plan = Plan.over(found) if found else None
    if plan is None:
        plan = load_plan(writes, client_id, [changes])
    return plan, plan_record(plan, principal, club.id, request.user_type, changes, now), None


def _save_batch(writes: PeopleWrites, request: SaveRequest, now: datetime) -> list[SaveOutcome]:
    """One attempt at a batch, in one locking transaction."""
    writes.record_nonce(request.nonce)
    plan, club = _refused_with_nonce(writes, lambda: _load_batch(writes, request))
    results = []
    for changes in request.records:
        try:
            results.append(plan_record(plan, request.principal, club.id, request.user_type, changes, now))
        except (ValidationError, NotFound, Forbidden) as error:
            results.append(Result(Action.FAILED, error=error))
    if request.all_or_none and any(r.action is Action.FAILED for r in results):
        undone = RolledBack("Not saved: another record of this AllOrNone batch failed.")
        outcomes = [outcome_of(plan, {}, r if r.action is Action.FAILED
                               else Result(Action.FAILED, error=undone)) for r in results]
    elif request.test:  # every rule was checked while planning; nothing is written
        outcomes = [o if o.action is Action.FAILED else o.as_validated()
                    for o in (outcome_of(plan, {}, r) for r in results)]
    else:
        ids = writes.write(planned_write(plan, now))
        if ids is None:
            raise Conflict("A row changed under the batch's lock; nothing was saved. Retry.")
        outcomes = [outcome_of(plan, ids, r) for r in results]
    writes.finish()
    return outcomes


def _load_batch(writes: PeopleWrites, request: SaveRequest) -> tuple[Plan, Club]:
    if not 1 <= len(request.records) <= BATCH_MAX:
        raise ValidationError("Records", f"A batch holds 1 to {BATCH_MAX} records.")
    club = club_in_scope(writes.club, request.principal, request.club_id)
    return load_plan(writes, request.principal.client_id, list(request.records)), club


__all__ = ["ATTEMPTS", "PeopleStore", "PeopleWrites", "SaveRequest", "record_nonce_alone",
           "save_people", "save_person", "utcnow"]
