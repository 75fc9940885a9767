"""The save rules over rows: Stale, Unchanged, references, scope, conversion history.

Purpose: decide, in memory, what one record or a batch changes. The rows a save touches are
loaded through the ``PeopleStore`` port (``people.PeopleWrites``); each record is checked and
merged in input order against the state the records before it left, exactly as if they were
saved one after another (so two records with one ExternalId insert once, then update). The
result is a ``PlannedWrite``: plain rows and columns that the store's adapter writes. A single
save is a plan of one record: the same rules.

Trade-off: plans are made from rows, not ORM objects, so a save costs no identity map; the
price is that the columns are named here (``PERSON_COLUMNS``) and not only in the mapping.

Two batches sharing an ExternalId take turns (an advisory lock per ExternalId on PostgreSQL,
the single writer on SQLite). A single save racing a batch on a new ExternalId makes the
batch's INSERT hit the unique constraint (client, ExternalId): its transaction is rolled
back and the whole batch planned again against the committed row, so the record becomes an
update, never a duplicate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace

from ..adapters.orm import PERSON_COLUMNS
from ..adapters.repository import parse_id
from ..domain.errors import DomainError, Forbidden, NotFound, ValidationError
from ..domain.fields import PROSPECT_FIELDS, Action, UserType
from ..domain.model import Club, Principal
from ..domain.people import PersonChanges, apply_changes, check_changes, check_insert, is_stale
from .results import RecordRefusal, SaveOutcome

# The caller-visible state of a person (``Person.snapshot``): what tells Updated from Unchanged.
_SNAPSHOT = tuple(spec.attr for spec in PROSPECT_FIELDS) + ("club_id", "user_type", "external_id")
_REFERENCES = (("LeadOwnerId", "lead_owner_id", "staff", "GetStaffList"),
               ("LeadSourceId", "lead_source_id", "lead_sources", "GetLeadSources"))


def club_in_scope(club: Callable[[int, int | None], Club | None], principal: Principal,
                  club_id: int | None) -> Club:
    """``club(client_id, club_id)``'s club; a club of another client and one outside the
    credential's clubs are both Forbidden."""
    club = club(principal.client_id, club_id)
    if club is None or not principal.may_use_club(club.id):
        raise Forbidden(f"ClubId {club_id} is not a club this credential may use.")
    return club


def person_in_scope(principal: Principal, club_id: int) -> None:
    """A credential limited to some clubs may not change (nor move away) a person of another."""
    if not principal.may_use_club(club_id):
        raise Forbidden("That person belongs to a club this credential may not use.")


def failed(error: DomainError) -> SaveOutcome:
    return SaveOutcome(id=None, action=Action.FAILED,
                       error=RecordRefusal(error.code, error.message, getattr(error, "field", None)))


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

    @classmethod
    def over(cls, loaded: list[dict], references: dict[str, set[int]] | None = None) -> Plan:
        """The plan over rows as loaded, and the referenced IDs known to exist."""
        return cls(rows={r["id"]: SimpleNamespace(**r) for r in loaded},
                   originals={r["id"]: r for r in loaded},
                   by_external_id={r["external_id"]: r["id"] for r in loaded if r["external_id"] is not None},
                   references=references or {})

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


def plan_record(plan: Plan, principal: Principal, club_id: int, user_type: UserType,
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


def load_plan(writes, client_id: int, batch: list[PersonChanges]) -> Plan:
    """The plan over the rows the records name, read through the store (``PeopleWrites``)."""
    ids = [n for n in (parse_id(c.id) for c in batch) if n is not None]
    external_ids = [c.external_id for c in batch if c.external_id is not None]
    if len(batch) > 1:
        # One record needs no turn-taking: a lost race on its ExternalId is a Conflict, retried.
        writes.take_turns(client_id, external_ids)
    loaded = writes.load(client_id, ids, external_ids)
    references = {}
    for wire, _attr, table, _listing in _REFERENCES:
        wanted = [parse_id(c.values.get(wire)) for c in batch if c.values.get(wire) is not None]
        references[table] = writes.existing_ids(table, client_id, [n for n in wanted if n is not None])
    return Plan.over(loaded, references)


def references_anything(changes: PersonChanges) -> bool:
    """The record names a lead owner or lead source, which only the database can vouch for."""
    return any(changes.values.get(wire) is not None for wire, *_ in _REFERENCES)


History = tuple[UserType | None, UserType, datetime]


@dataclass(frozen=True)
class PlannedWrite:
    """What a plan changes, as plain rows for the store's adapter to write.

    ``updates``: existing row ID -> its changed columns (each row as loaded, at its version);
    ``moving``: rows whose ExternalId moves to another row of the plan (released first);
    ``inserts``: (key, columns) of each new person, keys negative until the INSERT names them;
    ``history``: (key or row ID, from type, to type) of each user-type change; ``at``: now.
    """

    updates: dict[int, dict]
    moving: list[int]
    inserts: list[tuple[int, dict]]
    history: list[tuple[int, UserType | None, UserType]]
    at: datetime

    def history_of(self, key: int) -> History | None:
        """The one history row of one person (a single save's), as (from, to, at)."""
        for entry_key, from_type, to_type in self.history:
            if entry_key == key:
                return (from_type, to_type, self.at)
        return None


def planned_write(plan: Plan, now: datetime) -> PlannedWrite:
    updates: dict[int, dict] = {}
    moving: list[int] = []
    for row_id, original in plan.originals.items():
        final = vars(plan.rows[row_id])
        changed = {c: final[c] for c in PERSON_COLUMNS if final[c] != original[c]}
        if changed:
            updates[row_id] = changed
            if "external_id" in changed and original["external_id"] is not None:
                moving.append(row_id)
    if not (moving and (plan.new_keys or len(updates) > 1)):
        moving = []
    inserts = [(k, {c: getattr(plan.rows[k], c) for c in PERSON_COLUMNS}) for k in plan.new_keys]
    return PlannedWrite(updates, moving, inserts, list(plan.history), now)


def outcome_of(plan: Plan, ids: dict[int, int], result: Result) -> SaveOutcome:
    if result.action is Action.FAILED:
        return failed(result.error)
    row_id = ids.get(result.key, result.key)  # negative: a new row of a Test save, never written
    return SaveOutcome(id=str(row_id) if row_id > 0 else None, action=result.action,
                       user_type=plan.rows[result.key].user_type)
