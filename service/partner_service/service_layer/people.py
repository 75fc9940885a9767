"""Saving prospects, members and ex-members: the save rules of the contract.

Single saves go through ``_save_one``; batches (``batches``) apply the same domain rules per
record over rows loaded and written set-based.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ..domain.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from ..domain.fields import BATCH_MAX, Action, UserType
from ..domain.model import Club, Person, Principal
from ..domain.people import PersonChanges, apply_changes, check_changes, check_insert, is_stale
from .results import RecordError, SaveOutcome
from .unit_of_work import UnitOfWork


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def club_in_scope(uow: UnitOfWork, principal: Principal, club_id: int | None) -> Club:
    """A club of another client and one outside the credential's clubs are both Forbidden."""
    club = uow.clubs.get(principal.client_id, club_id)
    if club is None or not principal.may_use_club(club.id):
        raise Forbidden(f"ClubId {club_id} is not a club this credential may use.")
    return club


def person_in_scope(principal: Principal, club_id: int) -> None:
    """A credential limited to some clubs may not change (nor move away) a person of another."""
    if not principal.may_use_club(club_id):
        raise Forbidden("That person belongs to a club this credential may not use.")


def _check_references(uow: UnitOfWork, client_id: int, checked: dict) -> None:
    for wire, attr, repo in (("LeadOwnerId", "lead_owner_id", uow.staff),
                             ("LeadSourceId", "lead_source_id", uow.lead_sources)):
        if checked.get(attr) is not None:
            target = repo.get(client_id, checked[attr])
            if target is None:
                raise ValidationError(wire, f"{wire} is not an ID of this client (see "
                                      f"{'GetStaffList' if attr == 'lead_owner_id' else 'GetLeadSources'}).")
            checked[attr] = target.id


def _external_id_taken() -> ValidationError:
    return ValidationError("ExternalId", "ExternalId already belongs to another person.")


def _outcome(person: Person, action: Action) -> SaveOutcome:
    return SaveOutcome(id=str(person.id), action=action, user_type=person.user_type)


def _update(person: Person, club: Club, user_type: UserType, changes: PersonChanges,
            checked: dict, now: datetime) -> SaveOutcome:
    if is_stale(person, checked):
        return _outcome(person, Action.STALE)
    before = person.snapshot()
    apply_changes(person, checked, changes.to_null)
    person.club_id = club.id
    if changes.external_id is not None:
        person.external_id = changes.external_id
    person.change_type(user_type, now)
    if person.snapshot() == before:
        return _outcome(person, Action.UNCHANGED)
    person.updated_at = now
    return _outcome(person, Action.UPDATED)


def _insert(uow: UnitOfWork, principal: Principal, club: Club, user_type: UserType,
            changes: PersonChanges, checked: dict, now: datetime) -> SaveOutcome:
    check_insert(checked)
    person = Person(principal.client_id, club.id, user_type, now, external_id=changes.external_id)
    apply_changes(person, checked, ())
    uow.people.add(person)
    uow.flush()
    return _outcome(person, Action.INSERTED)


def _save_one(uow: UnitOfWork, principal: Principal, club: Club, user_type: UserType,
              changes: PersonChanges, now: datetime) -> SaveOutcome:
    checked = check_changes(changes, user_type, now.date())
    _check_references(uow, principal.client_id, checked)
    client_id = principal.client_id
    if changes.id is not None:
        person = uow.people.get(client_id, changes.id)
        if person is None:
            raise NotFound("No person with that Id exists for this client.")
        person_in_scope(principal, person.club_id)
        moved_external_id = changes.external_id not in (None, person.external_id)
        # Only whether it is taken: locking a second person here could deadlock with a save of it.
        if moved_external_id and uow.people.by_external_id(client_id, changes.external_id, lock=False):
            raise _external_id_taken()
        outcome = _update(person, club, user_type, changes, checked, now)
        if moved_external_id and outcome.action is Action.UPDATED:
            try:
                uow.flush()
            except Conflict:
                # A concurrent save inserted that ExternalId after our lookup.
                raise _external_id_taken() from None
        return outcome
    if changes.external_id is None:
        return _insert(uow, principal, club, user_type, changes, checked, now)
    person = uow.people.by_external_id(client_id, changes.external_id)
    if person is not None:
        person_in_scope(principal, person.club_id)
        return _update(person, club, user_type, changes, checked, now)
    try:
        with uow.savepoint():
            return _insert(uow, principal, club, user_type, changes, checked, now)
    except Conflict:
        # A concurrent save with the same ExternalId won the insert: update its row.
        person = uow.people.by_external_id(client_id, changes.external_id)
        if person is None:
            raise
        person_in_scope(principal, person.club_id)
        return _update(person, club, user_type, changes, checked, now)


def save_person(uow: UnitOfWork, principal: Principal, club_id: int, user_type: UserType,
                changes: PersonChanges, test: bool = False) -> SaveOutcome:
    """Insert, update, convert or move one person; committed before it returns."""
    now = utcnow()
    with uow:
        club = club_in_scope(uow, principal, club_id)
        outcome = _save_one(uow, principal, club, user_type, changes, now)
        if test:
            return outcome.as_validated()
        if outcome.action in (Action.INSERTED, Action.UPDATED):
            uow.commit()
        return outcome


def _failed(error: DomainError) -> SaveOutcome:
    return SaveOutcome(id=None, action=Action.FAILED,
                       error=RecordError(error.code, error.message, getattr(error, "field", None)))


def save_people(uow: UnitOfWork, principal: Principal, club_id: int, user_type: UserType,
                batch: list[PersonChanges], all_or_none: bool = False,
                test: bool = False) -> list[SaveOutcome]:
    """Save up to ``BATCH_MAX`` people; one result per record, in input order.

    A failing record fails alone unless ``all_or_none``, which saves nothing and marks
    every record failed. Done set-based, a few statements per batch: see ``batches``.
    """
    from .batches import save_batch  # batches builds on this module's rules

    if not 1 <= len(batch) <= BATCH_MAX:
        raise ValidationError("Records", f"A batch holds 1 to {BATCH_MAX} records.")
    return save_batch(uow, principal, club_id, user_type, batch, all_or_none, test, utcnow())
