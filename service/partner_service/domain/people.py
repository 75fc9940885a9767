"""The save rules of the contract for one person, free of storage and transport.

``PersonChanges`` is what one save asks for; ``check_changes`` refuses what breaks a rule
before anything is read or written; ``apply_changes`` merges a save into a person.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from .errors import ValidationError
from .fields import (
    ALL_FIELDS,
    DATE,
    DATETIME,
    ENUM,
    EXTERNAL_ID_MAX_LENGTH,
    TEXT,
    FieldSpec,
    UserType,
    fields_for,
)
from .model import Person

_FORBIDDEN_CONTROL = {chr(c) for c in range(0x20)} - {"\t", "\n", "\r"} | {"\x7f"}
# How far ahead of the server's clock a ModifiedDate may lie: a stored future date would make
# every later real update Stale (and the Connector takes Stale as done). A value with a zone
# may be ahead by clock skew only; one without a zone may be any local time (UTC+14 at most).
MODIFIED_DATE_SKEW = timedelta(minutes=5)
_LOCAL_TIME_AHEAD = timedelta(hours=14)


@dataclass
class PersonChanges:
    """One save request for one person, by wire field name.

    ``values`` holds only the elements the caller sent; ``to_null`` the names in
    ``FieldsToNull``. Anything in neither keeps its stored value.
    """

    values: dict[str, object] = field(default_factory=dict)
    to_null: tuple[str, ...] = ()
    id: str | None = None
    external_id: str | None = None


def utc_naive(value: datetime) -> datetime:
    """Store instants as naive UTC: SQLite keeps no zone, so both engines compare alike."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _check_value(spec: FieldSpec, value: object) -> object:
    if spec.kind == TEXT or spec.max_length:
        text = str(value)
        if spec.max_length and len(text) > spec.max_length:
            raise ValidationError(spec.wire, f"{spec.wire} is longer than {spec.max_length} characters.")
        if _FORBIDDEN_CONTROL.intersection(text):
            raise ValidationError(spec.wire, f"{spec.wire} contains a control character.")
        if spec.required_on_insert and not text.strip():
            raise ValidationError(spec.wire, f"{spec.wire} must not be blank.")
        return text
    if spec.kind == ENUM:
        try:
            return spec.choices(value)
        except ValueError:
            allowed = ", ".join(c.value for c in spec.choices)
            raise ValidationError(spec.wire, f"{spec.wire} must be one of: {allowed}.") from None
    if spec.kind == DATE:
        if isinstance(value, datetime) or not isinstance(value, date):
            raise ValidationError(spec.wire, f"{spec.wire} must be a date (YYYY-MM-DD).")
        return value
    if spec.kind == DATETIME:
        if not isinstance(value, datetime):
            raise ValidationError(spec.wire, f"{spec.wire} must be a dateTime.")
        try:
            return utc_naive(value)
        except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00 (.NET's MinValue) is before year 1 in UTC
            raise ValidationError(spec.wire, f"{spec.wire} is out of range in UTC.") from None
    return value


def check_external_id(external_id: str | None) -> None:
    """An ExternalId is the upsert key: a blank one would merge every person sent with it."""
    if external_id is None:
        return
    if not external_id.strip():
        raise ValidationError("ExternalId", "ExternalId must not be blank; leave it out when there is none.")
    if len(external_id) > EXTERNAL_ID_MAX_LENGTH:
        raise ValidationError("ExternalId", f"ExternalId is longer than {EXTERNAL_ID_MAX_LENGTH} characters.")
    if _FORBIDDEN_CONTROL.intersection(external_id):
        raise ValidationError("ExternalId", "ExternalId contains a control character.")


def _check_modified_date(value: object, now: datetime) -> None:
    if not isinstance(value, datetime):
        return
    ahead = MODIFIED_DATE_SKEW + (_LOCAL_TIME_AHEAD if value.tzinfo is None else timedelta(0))
    if utc_naive(value) > now + ahead:
        raise ValidationError("ModifiedDate", "ModifiedDate lies in the future; send the time of the "
                                              "last change, in UTC or with its zone offset.")


def check_changes(changes: PersonChanges, user_type: UserType, now: datetime) -> dict[str, object]:
    """Refuse a save that breaks a field rule; return its values by attribute name. ``now`` is
    the server's clock (naive UTC)."""
    check_external_id(changes.external_id)
    allowed = {spec.wire: spec for spec in fields_for(user_type)}
    checked: dict[str, object] = {}
    for wire, value in changes.values.items():
        spec = allowed.get(wire)
        if spec is None:
            raise ValidationError(wire, f"{wire} is not a field of a {user_type.value}.")
        checked[spec.attr] = _check_value(spec, value)
    for name in changes.to_null:
        spec = allowed.get(name)
        if spec is None:
            # An unknown name is the caller's text: it is never repeated (contract: no echo).
            raise ValidationError("FieldsToNull", "FieldsToNull names something that is not a field of a "
                                  "person (the WSDL's Prospect and Member types list them)."
                                  if name not in ALL_FIELDS else
                                  f"FieldsToNull names {name}, which a {user_type.value} does not have.")
        if not spec.clearable:
            raise ValidationError("FieldsToNull", f"{name} is required and cannot be cleared.")
        if name in changes.values:
            raise ValidationError("FieldsToNull", f"{name} is both sent and named in FieldsToNull.")
    _check_modified_date(changes.values.get("ModifiedDate"), now)
    birth = checked.get("birth_date")
    if birth is not None and birth > now.date():
        raise ValidationError("BirthDate", "BirthDate is in the future.")
    return checked


def check_insert(checked: dict[str, object]) -> None:
    for wire, attr in (("FirstName", "first_name"), ("LastName", "last_name")):
        if checked.get(attr) is None:
            raise ValidationError(wire, f"{wire} is required when inserting a person.")


def is_stale(person: Person, checked: dict[str, object]) -> bool:
    """A save older than what is stored is a late retry: it must not undo a newer update."""
    incoming, stored = checked.get("modified_date"), person.modified_date
    return incoming is not None and stored is not None and incoming < stored


def apply_changes(person: Person, checked: dict[str, object], to_null: tuple[str, ...]) -> None:
    for attr, value in checked.items():
        setattr(person, attr, value)
    for name in to_null:
        setattr(person, ALL_FIELDS[name].attr, None)
    start, end = person.trial_start_date, person.trial_end_date
    if start is not None and end is not None and end < start:
        raise ValidationError("TrialEndDate", "TrialEndDate is before TrialStartDate.")
