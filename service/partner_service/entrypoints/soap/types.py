"""Spyne types of the contract, built from ``domain.fields`` so each field is declared once.

Every element is explicit for other SOAP stacks: required ones ``min_occurs=1``, optional
ones ``min_occurs=0``, none nillable (Java's wsimport then makes plain ``String`` fields),
text lengths as ``maxLength``, and lists as a named wrapper holding repeated elements.
"""

from __future__ import annotations

from spyne import Boolean, ComplexModel, Date, DateTime, Integer32, Unicode
from spyne import Enum as SpyneEnum

from ...domain import fields as f
from .namespaces import TNS


def optional(model):
    return model.customize(min_occurs=0, nillable=False)


def required(model):
    return model.customize(min_occurs=1, nillable=False)


def repeated(model, low: int, high: int | str):
    return model.customize(min_occurs=low, max_occurs=high, nillable=False)


_texts: dict[int, type] = {}


def text(max_length: int):
    """One named simple type per length (``String80``), reused by every field of that length."""
    if max_length not in _texts:
        _texts[max_length] = Unicode.customize(max_len=max_length, type_name=f"String{max_length}",
                                               __namespace__=TNS)
    return _texts[max_length]


def _enum(choices) -> type:
    return SpyneEnum(*[c.value for c in choices], type_name=choices.__name__).customize(
        __namespace__=TNS)


StatusType = _enum(f.Status)
GenderType = _enum(f.Gender)
UserTypeType = _enum(f.UserType)
ActionType = _enum(f.Action)
ClubIdType = Integer32

_SIMPLE = {f.DATE: Date, f.DATETIME: DateTime}
_ENUMS = {f.Status: StatusType, f.Gender: GenderType}


def _field_model(spec: f.FieldSpec):
    if spec.kind == f.ENUM:
        return _ENUMS[spec.choices]
    if spec.kind in _SIMPLE:
        return _SIMPLE[spec.kind]
    return text(spec.max_length)


class FieldNameList(ComplexModel):
    """Names of fields to clear (``FieldsToNull``), e.g. ``Address2``."""

    __namespace__ = TNS
    _type_info = [("FieldName", repeated(text(f.FIELD_NAME_MAX_LENGTH), 1, len(f.PROSPECT_FIELDS)))]


def _person_type(name: str, specs: tuple[f.FieldSpec, ...]) -> type:
    type_info = [
        ("Id", optional(text(f.ID_MAX_LENGTH))),
        ("ExternalId", optional(text(f.EXTERNAL_ID_MAX_LENGTH))),
        ("FieldsToNull", optional(FieldNameList)),
    ] + [(spec.wire, optional(_field_model(spec))) for spec in specs]
    return type(name, (ComplexModel,), {"__namespace__": TNS, "_type_info": type_info})


Prospect = _person_type("Prospect", f.PROSPECT_FIELDS)
Member = _person_type("Member", f.PERSON_FIELDS)


class ClubIdList(ComplexModel):
    __namespace__ = TNS
    _type_info = [("ClubId", repeated(ClubIdType, 0, "unbounded"))]


class Staff(ComplexModel):
    __namespace__ = TNS
    _type_info = [
        ("StaffId", required(text(f.ID_MAX_LENGTH))),
        ("Email", required(text(254))),
        ("FirstName", required(text(80))),
        ("LastName", required(text(80))),
        ("Active", required(Boolean)),
        ("ClubIds", required(ClubIdList)),
    ]


class LeadSource(ComplexModel):
    __namespace__ = TNS
    _type_info = [
        ("LeadSourceId", optional(text(f.ID_MAX_LENGTH))),
        ("Name", optional(text(f.LEAD_SOURCE_NAME_MAX_LENGTH))),
        ("ExternalId", optional(text(f.EXTERNAL_ID_MAX_LENGTH))),
    ]


class RecordError(ComplexModel):
    """Why one record of a batch failed: the fault code it would have had, and the field.

    Not named ``Error``: generated Java would shadow ``java.lang.Error`` with it."""

    __namespace__ = TNS
    _type_info = [
        ("Code", required(text(40))),
        ("Field", optional(text(f.FIELD_NAME_MAX_LENGTH))),
        ("Message", required(text(500))),
    ]


class SaveResult(ComplexModel):
    __namespace__ = TNS
    _type_info = [
        ("Id", optional(text(f.ID_MAX_LENGTH))),
        ("Action", required(ActionType)),
        ("Error", optional(RecordError)),
        ("UserType", optional(UserTypeType)),
    ]


def _batch_type(name: str, item_name: str, item) -> type:
    return type(name, (ComplexModel,), {
        "__namespace__": TNS, "_type_info": [(item_name, repeated(item, 1, f.BATCH_MAX))]})


ProspectBatch = _batch_type("ProspectBatch", "Prospect", Prospect)
MemberBatch = _batch_type("MemberBatch", "Member", Member)
