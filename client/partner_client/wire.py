"""Between the generated dataclasses and zeep's values, driven by each field's metadata.

The generated types (``generated/types.py``) describe every field with :func:`spec`:
its wire name, its Python type, the item element of an array wrapper such as
``tns:ClubIdList`` and the ``xs:maxLength`` of its simple type. Nothing here knows
the contract's names, so a regenerated contract needs no change in this module.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from enum import Enum
from typing import Any


def snake(name: str) -> str:
    """``SaveExMembers`` -> ``save_ex_members``: a wire name as a Python name."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def spec(wire: str, type_: type, *, item: str | None = None, max_length: int | None = None,
         required: bool = False) -> Any:
    """A dataclass field for element ``wire`` (``required``: ``minOccurs="1"``)."""
    meta = {"wire": wire, "type": type_, "item": item, "max_length": max_length}
    if required:
        return dataclasses.field(metadata=meta)
    return dataclasses.field(default=None, metadata=meta)


@dataclasses.dataclass(frozen=True)
class Part:
    """One child element of an operation's request or response wrapper."""

    wire: str
    type: type
    item: str | None = None
    many: bool = False


@dataclasses.dataclass(frozen=True)
class OperationSpec:
    """An operation of the WSDL: its request parts by Python name, and its result part."""

    name: str
    inputs: dict[str, Part]
    output: Part
    documentation: str = ""


def request_payload(spec: OperationSpec, arguments: dict[str, Any]) -> dict[str, Any]:
    """A call's arguments (by Python name) as the request parts zeep renders, by wire name."""
    return {part.wire: to_wire(arguments[key], part.item)
            for key, part in spec.inputs.items() if arguments.get(key) is not None}


_FIELD_CACHE: dict[type, tuple[tuple[str, str, type, str | None, int | None], ...]] = {}


def fields_of(cls: type):
    """``(name, wire name, type, item, maxLength)`` of each field of a generated dataclass."""
    cached = _FIELD_CACHE.get(cls)
    if cached is None:
        cached = tuple((f.name, f.metadata["wire"], f.metadata["type"], f.metadata["item"],
                        f.metadata["max_length"]) for f in dataclasses.fields(cls))
        _FIELD_CACHE[cls] = cached
    return cached


_PLAIN = frozenset({str, int, bool, float, datetime.date, datetime.datetime})  # sent as they are


def to_wire(value: Any, item: str | None = None) -> Any:
    """A dataclass, list, enum or scalar as the dict/list/str zeep serialises."""
    if value is None or (item is None and type(value) in _PLAIN):
        return value
    if item is not None:
        return {item: [to_wire(v) for v in value]}
    if dataclasses.is_dataclass(value):
        # Unset fields are sent as None, not left out: zeep skips an optional element whose
        # value is None at once, but renders and validates one that is missing from the dict
        # (as NotSet), and most of a record's 27 fields are unset.
        return {wire: None if (field_value := getattr(value, name)) is None else to_wire(field_value, sub_item)
                for name, wire, _type, sub_item, _max in fields_of(type(value))}
    if isinstance(value, Enum):
        return value.value
    return value


def from_wire(value: Any, type_: type, item: str | None = None) -> Any:
    """zeep's answer as ``type_`` (a generated dataclass, an enum or a scalar)."""
    if item is not None:
        items = getattr(value, item, None) if value is not None else None
        return [from_wire(v, type_) for v in (items or [])]
    if value is None:
        return None
    if dataclasses.is_dataclass(type_):
        return type_(**{name: from_wire(getattr(value, wire, None), sub_type, sub_item)
                        for name, wire, sub_type, sub_item, _max in fields_of(type_)})
    if isinstance(type_, type) and issubclass(type_, Enum):
        return type_(value)
    return value


def too_long(record: Any) -> list[tuple[str, int]]:
    """``(wire name, maxLength)`` of each string field longer than its schema allows.

    Checked before sending, so one over-long value fails its own record instead of
    making the partner refuse a whole batch at schema validation.
    """
    problems = []
    for name, wire, _type, _item, max_length in fields_of(type(record)):
        value = getattr(record, name)
        if max_length is not None and isinstance(value, str) and len(value) > max_length:
            problems.append((wire, max_length))
    return problems
