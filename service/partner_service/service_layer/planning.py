"""The save rules over rows: one record or a batch, planned in memory, written set-based.

The rows a save touches are loaded with one SELECT; each record is checked and merged in
input order against the state the records before it left, exactly as if they were saved
one after another (so two records with one ExternalId insert once, then update). Then the
plan is written with a few statements (see ``adapters/people_rows.py``). A single save is
a plan of one record: the same rules, with no ORM object in between.

Two batches sharing an ExternalId take turns (an advisory lock per ExternalId on PostgreSQL,
the single writer on SQLite). A single save racing a batch on a new ExternalId makes the
batch's INSERT hit the unique constraint (client, ExternalId): its transaction is rolled
back and the whole batch planned again against the committed row, so the record becomes an
update, never a duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Protocol

from ..adapters.people_rows import PERSON_COLUMNS, PeopleRows
from ..adapters.repository import parse_id
from ..domain.errors import DomainError, Forbidden, NotFound, ValidationError
from ..domain.fields import PROSPECT_FIELDS, Action, UserType
from ..domain.model import Club, Principal
from ..domain.people import PersonChanges, apply_changes, check_changes, check_insert, is_stale
from .results import RecordError, SaveOutcome
from .unit_of_work import UnitOfWork

# The caller-visible state of a person (``Person.snapshot``): what tells Updated from Unchanged.
_SNAPSHOT = tuple(spec.attr for spec in PROSPECT_FIELDS) + ("club_id", "user_type", "external_id")
_REFERENCES = (("LeadOwnerId", "lead_owner_id", "staff", "GetStaffList"),
               ("LeadSourceId", "lead_source_id", "lead_sources", "GetLeadSources"))
# A lost race (a concurrent insert of the same ExternalId, a deadlock): plan again this often.
ATTEMPTS = 5


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


def failed(error: DomainError) -> SaveOutcome:
    return SaveOutcome(id=None, action=Action.FAILED,
                       error=RecordError(error.code, error.message, getattr(error, "field", None)))


@dataclass
class Result:
    """One record's answer; ``key`` names its row, whose ID may only exist after the INSERT."""

    action: Action
    key: int | None = None
    error: Exception | None = None


@dataclass
class Plan:
    """The rows one batch touches, as the records saved so far left them."""

    rows: dict[int, SimpleNamespace]           # key -> row; existing rows keyed by their ID
    originals: dict[int, dict]                 # ID -> row as loaded
    by_external_id: dict[str, int]             # ExternalId -> key, as of the records so far
    references: dict[str, set[int]]            # referenced table -> IDs that exist for the client
    new_keys: list[int] = field(default_factory=list)
    history: list[tuple[int, UserType | None, UserType]] = field(default_factory=list)

    def commit_row(self, key: int, draft: SimpleNamespace) -> None:
        old = self.rows.get(key)
        if old is not None and old.external_id != draft.external_id:
            self.by_external_id.pop(old.external_id, None)
        if draft.external_id is not None:
            self.by_external_id[draft.external_id] = key
        self.rows[key] = draft


def _resolve_references(plan: Plan, checked: dict) -> None:
    for wire, attr, table, listing in _REFERENCES:
        if checked.get(attr) is not None:
            number = parse_id(checked[attr])
            if number not in plan.references[table]:
                raise ValidationError(wire, f"{wire} is not an ID of this client (see {listing}).")
            checked[attr] = number


def _update(plan: Plan, key: int, club_id: int, user_type: UserType, changes: PersonChanges,
            checked: dict, now: datetime) -> Result:
    current = plan.rows[key]
    if is_stale(current, checked):
        return Result(Action.STALE, key)
    draft = SimpleNamespace(**vars(current))
    apply_changes(draft, checked, changes.to_null)
    draft.club_id = club_id
    if changes.external_id is not None:
        draft.external_id = changes.external_id
    converted = draft.user_type is not user_type
    draft.user_type = user_type
    if all(getattr(draft, a) == getattr(current, a) for a in _SNAPSHOT):
        return Result(Action.UNCHANGED, key)
    draft.updated_at = now
    plan.commit_row(key, draft)
    if converted:
        plan.history.append((key, current.user_type, user_type))
    return Result(Action.UPDATED, key)


def _insert(plan: Plan, client_id: int, club_id: int, user_type: UserType, changes: PersonChanges,
            checked: dict, now: datetime) -> Result:
    check_insert(checked)
    draft = SimpleNamespace(**dict.fromkeys(PERSON_COLUMNS))
    draft.__dict__.update(client_id=client_id, club_id=club_id, user_type=user_type,
                          external_id=changes.external_id, inserted_at=now, updated_at=now)
    apply_changes(draft, checked, ())
    key = -1 - len(plan.new_keys)  # new rows get negative keys until the INSERT names them
    plan.new_keys.append(key)
    plan.commit_row(key, draft)
    plan.history.append((key, None, user_type))
    return Result(Action.INSERTED, key)


def plan_one(plan: Plan, principal: Principal, club_id: int, user_type: UserType,
              changes: PersonChanges, now: datetime) -> Result:
    """Every save rule for one record, over the in-memory plan, in the contract's order."""
    checked = check_changes(changes, user_type, now)
    _resolve_references(plan, checked)
    if changes.id is not None:
        key = parse_id(changes.id)
        if key not in plan.rows:
            raise NotFound("No person with that Id exists for this client.")
        person_in_scope(principal, plan.rows[key].club_id)
        moved = changes.external_id not in (None, plan.rows[key].external_id)
        if moved and changes.external_id in plan.by_external_id:
            raise ValidationError("ExternalId", "ExternalId already belongs to another person.")
        return _update(plan, key, club_id, user_type, changes, checked, now)
    key = plan.by_external_id.get(changes.external_id) if changes.external_id is not None else None
    if key is None:
        return _insert(plan, principal.client_id, club_id, user_type, changes, checked, now)
    person_in_scope(principal, plan.rows[key].club_id)
    return _update(plan, key, club_id, user_type, changes, checked, now)


def load_plan(rows: PeopleRows, client_id: int, batch: list[PersonChanges]) -> Plan:
    ids = [n for n in (parse_id(c.id) for c in batch) if n is not None]
    external_ids = [c.external_id for c in batch if c.external_id is not None]
    if len(batch) > 1:
        # One record needs no turn-taking: a lost race on its ExternalId is a Conflict, retried.
        rows.begin_batch(client_id, external_ids)
    loaded = rows.load(client_id, ids, external_ids)
    references = {}
    for wire, _attr, table, _listing in _REFERENCES:
        wanted = [parse_id(c.values.get(wire)) for c in batch if c.values.get(wire) is not None]
        references[table] = rows.existing_ids(table, client_id, [n for n in wanted if n is not None])
    return plan_of(loaded, references)


def plan_of(loaded: list[dict], references: dict[str, set[int]]) -> Plan:
    """The plan over rows as loaded, and the referenced IDs known to exist."""
    return Plan(rows={r["id"]: SimpleNamespace(**r) for r in loaded},
                originals={r["id"]: r for r in loaded},
                by_external_id={r["external_id"]: r["id"] for r in loaded if r["external_id"] is not None},
                references=references)


def references_anything(changes: PersonChanges) -> bool:
    """The record names a lead owner or lead source, which only the database can vouch for."""
    return any(changes.values.get(wire) is not None for wire, *_ in _REFERENCES)


def _changed_rows(plan: Plan) -> tuple[dict[int, dict], list[int]]:
    """Existing row ID -> its changed columns; and the rows whose ExternalId moves."""
    changes: dict[int, dict] = {}
    moving: list[int] = []
    for row_id, original in plan.originals.items():
        final = vars(plan.rows[row_id])
        changed = {c: final[c] for c in PERSON_COLUMNS if final[c] != original[c]}
        if changed:
            changes[row_id] = changed
            if "external_id" in changed and original["external_id"] is not None:
                moving.append(row_id)
    return changes, moving


def write_plan(rows: PeopleRows, plan: Plan, now: datetime) -> dict[int, int]:
    """Write the plan; answer each new row's key -> its ID."""
    changes, moving = _changed_rows(plan)
    if moving and (plan.new_keys or len(changes) > 1):
        rows.clear_external_ids(moving)
    rows.update(changes)
    new_ids = rows.insert([{c: getattr(plan.rows[k], c) for c in PERSON_COLUMNS} for k in plan.new_keys])
    ids = dict(zip(plan.new_keys, new_ids, strict=True))
    rows.add_history([{"person_id": ids.get(key, key), "from_type": from_type, "to_type": to_type,
                       "changed_at": now} for key, from_type, to_type in plan.history])
    return ids


class OneRecordRows(Protocol):
    """Where a plan of one record is written in one statement (``adapters.people_statements``)."""

    def insert_one(self, row: dict, history: tuple[UserType | None, UserType, datetime]) -> int: ...
    def update_one(self, row_id: int, changed: dict,
                   history: tuple[UserType | None, UserType, datetime] | None) -> bool: ...


def write_one(rows: OneRecordRows, plan: Plan, now: datetime) -> dict[int, int] | None:
    """Write a plan of one record as ``write_plan`` would, in one statement; None when its row
    changed since it was loaded (nothing written: plan it again)."""
    if plan.new_keys:
        key, row, history = new_row(plan, now)
        return {key: rows.insert_one(row, history)}
    history = [(from_type, to_type, now) for _key, from_type, to_type in plan.history]
    changes, _moving = _changed_rows(plan)
    for row_id, changed in changes.items():  # one at most: a record changes one person
        if not rows.update_one(row_id, changed, history[0] if history else None):
            return None
    return {}


def new_row(plan: Plan, now: datetime) -> tuple[int, dict, tuple[UserType | None, UserType, datetime]]:
    """The new person of a plan of one record: its key, its columns, its history row."""
    (key,) = plan.new_keys
    ((_key, from_type, to_type),) = plan.history
    return key, {c: getattr(plan.rows[key], c) for c in PERSON_COLUMNS}, (from_type, to_type, now)


def outcome_of(plan: Plan, ids: dict[int, int], result: Result) -> SaveOutcome:
    if result.action is Action.FAILED:
        return failed(result.error)
    row_id = ids.get(result.key, result.key)  # negative: a new row of a Test save, never written
    return SaveOutcome(id=str(row_id) if row_id > 0 else None, action=result.action,
                       user_type=plan.rows[result.key].user_type)
