"""The person fields of the wire contract: names, kinds, limits and which are required.

One table drives validation here, the SOAP types and WSDL in ``entrypoints/soap/types.py``
and the database columns in ``adapters/orm.py``, so a field is declared exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum


class UserType(StrEnum):
    PROSPECT = "Prospect"
    MEMBER = "Member"
    EX_MEMBER = "ExMember"


class Status(StrEnum):
    ACTIVE = "Active"
    INACTIVE = "Inactive"


class Gender(StrEnum):
    MALE = "Male"
    FEMALE = "Female"
    OTHER = "Other"
    UNSPECIFIED = "Unspecified"


class Action(StrEnum):
    INSERTED = "Inserted"
    UPDATED = "Updated"
    UNCHANGED = "Unchanged"
    STALE = "Stale"
    VALIDATED = "Validated"
    FAILED = "Failed"


TEXT, DATE, DATETIME, ENUM, REFERENCE = "text", "date", "datetime", "enum", "reference"


@dataclass(frozen=True)
class FieldSpec:
    """One optional-on-the-wire field of a person."""

    wire: str
    attr: str
    kind: str
    max_length: int | None = None
    choices: type[Enum] | None = None
    required_on_insert: bool = False
    doc: str = ""

    @property
    def clearable(self) -> bool:
        return not self.required_on_insert


def _text(wire, attr, max_length, doc="", required=False):
    return FieldSpec(wire, attr, TEXT, max_length=max_length, required_on_insert=required, doc=doc)


PERSON_FIELDS: tuple[FieldSpec, ...] = (
    _text("FirstName", "first_name", 80, "Given name; required when inserting.", required=True),
    _text("LastName", "last_name", 80, "Family name; required when inserting.", required=True),
    FieldSpec("Status", "status", ENUM, choices=Status, doc="Active or Inactive."),
    FieldSpec("BirthDate", "birth_date", DATE, doc="Date of birth, not in the future."),
    FieldSpec("Gender", "gender", ENUM, choices=Gender),
    _text("Address1", "address1", 200),
    _text("Address2", "address2", 200),
    _text("City", "city", 100),
    _text("Zipcode", "zipcode", 20),
    _text("State", "state", 100),
    _text("Country", "country", 100),
    _text("Mobile", "mobile", 40),
    _text("HomePhone", "home_phone", 40),
    _text("WorkPhone", "work_phone", 40),
    _text("Email", "email", 254),
    _text("Company", "company", 200),
    FieldSpec("CreatedDate", "created_date", DATETIME, doc="When the caller created the person."),
    _text("CreatedBy", "created_by", 100, "Who created the person, e.g. INTOUCH."),
    FieldSpec("ModifiedDate", "modified_date", DATETIME,
              doc="When the caller last changed the person; an older value than stored is Stale."),
    _text("ModifiedBy", "modified_by", 100, "Who last changed the person, e.g. INTOUCH."),
)

PROSPECT_FIELDS: tuple[FieldSpec, ...] = PERSON_FIELDS + (
    FieldSpec("LeadOwnerId", "lead_owner_id", REFERENCE, max_length=20,
              doc="A StaffId of this system (GetStaffList); absent means no owner."),
    FieldSpec("LeadSourceId", "lead_source_id", REFERENCE, max_length=20,
              doc="A LeadSourceId of this system (GetLeadSources); absent means no source."),
    FieldSpec("TrialStartDate", "trial_start_date", DATE),
    FieldSpec("TrialEndDate", "trial_end_date", DATE, doc="Not before TrialStartDate."),
)

ALL_FIELDS: dict[str, FieldSpec] = {f.wire: f for f in PROSPECT_FIELDS}

ID_MAX_LENGTH = 20
EXTERNAL_ID_MAX_LENGTH = 100
FIELD_NAME_MAX_LENGTH = 40
LEAD_SOURCE_NAME_MAX_LENGTH = 100
BATCH_MAX = 200


def fields_for(user_type: UserType) -> tuple[FieldSpec, ...]:
    return PROSPECT_FIELDS if user_type is UserType.PROSPECT else PERSON_FIELDS
