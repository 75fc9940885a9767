"""Reading a plain SOAP answer straight into the generated types.

zeep turns an answer into its value objects (a ``CompoundValue`` per element, checked member
by member) and ``wire.from_wire`` then copies those into the generated dataclasses. For
an answer that is one plain SOAP 1.1 envelope holding the expected elements, this reads the
XML into the dataclasses directly, by the same field metadata. Anything else (a fault,
another shape, a missing required element, a value it does not know how to read) is left to
zeep, whose errors and faults the client already translates. The XML is parsed by zeep's own
``parse_xml`` with the client's settings (no DTD, no entities, no network).
``tests/client/test_answers.py`` compares both readings.
"""

from __future__ import annotations

import dataclasses
import datetime
from enum import Enum
from typing import Any

from zeep.loader import parse_xml
from zeep.xsd.types import builtins

from .ns import TNS
from .wire import Part, fields_of

SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
NOT_READ = object()  # leave this answer to zeep


class _Unreadable(Exception):
    pass


_SIMPLE = {
    str: lambda text: text,
    int: int,
    bool: lambda text: {"true": True, "1": True, "false": False, "0": False}[text.strip()],
    datetime.date: builtins.Date().pythonvalue,
    datetime.datetime: builtins.DateTime().pythonvalue,
}


def _value(element, type_: type) -> Any:
    if dataclasses.is_dataclass(type_):
        return _record(element, type_)
    if element.text is None or len(element):
        raise _Unreadable
    if isinstance(type_, type) and issubclass(type_, Enum):
        return type_(element.text)
    reader = _SIMPLE.get(type_)
    if reader is None:
        raise _Unreadable
    return reader(element.text)


def _record(element, type_: type) -> Any:
    children: dict[str, list] = {}
    for child in element:
        if isinstance(child.tag, str):
            children.setdefault(child.tag, []).append(child)
    values, known = {}, set()
    for name, wire, sub_type, item, _max in fields_of(type_):
        tag = f"{{{TNS}}}{wire}"
        known.add(tag)
        found = children.get(tag, [])
        if len(found) > 1:
            raise _Unreadable
        if not found:
            continue
        if item is not None:
            items = [c for c in found[0] if isinstance(c.tag, str)]
            if any(c.tag != f"{{{TNS}}}{item}" for c in items):
                raise _Unreadable
            values[name] = [_value(c, sub_type) for c in items]
        else:
            values[name] = _value(found[0], sub_type)
    if not children or set(children) - known:
        raise _Unreadable  # an empty one is None to zeep: leave such to it
    return type_(**values)  # a required field left out: TypeError, zeep then reads it


def answer_parts(content: bytes, output: Part, settings) -> list | Any:
    """The answer's part elements, if it is one plain SOAP 1.1 envelope holding only parts
    of the expected name (cheap: lxml parses, Python only looks at the outer elements);
    ``NOT_READ`` for anything else (a fault, another shape, XML zeep should judge)."""
    try:
        envelope = parse_xml(content, None, settings=settings)
    except Exception:  # noqa: BLE001 (zeep's XML errors and the like: zeep reports them its way)
        return NOT_READ
    if envelope.tag != f"{{{SOAP11_ENV}}}Envelope":
        return NOT_READ
    bodies = [c for c in envelope if c.tag == f"{{{SOAP11_ENV}}}Body"]
    wrappers = [c for c in bodies[0] if isinstance(c.tag, str)] if len(bodies) == 1 else []
    if len(wrappers) != 1 or wrappers[0].tag == f"{{{SOAP11_ENV}}}Fault":
        return NOT_READ
    parts = [c for c in wrappers[0] if isinstance(c.tag, str)]
    if not parts or any(c.tag != f"{{{TNS}}}{output.wire}" for c in parts):
        return NOT_READ  # an empty answer may break a minOccurs: zeep checks those
    return parts


def read_parts(parts: list, output: Part) -> Any:
    """``answer_parts``' elements as the operation's result type, or ``NOT_READ``."""
    try:
        results = [_value(c, output.type) for c in parts]
    except Exception:  # noqa: BLE001 (_Unreadable, a required field left out, a bad value: zeep's to judge)
        return NOT_READ
    if output.many:
        return results
    return results[0] if len(results) == 1 else NOT_READ


def read_answer(content: bytes, output: Part, settings) -> Any:
    """The answer as the operation's result type, or ``NOT_READ``."""
    parts = answer_parts(content, output, settings)
    return NOT_READ if parts is NOT_READ else read_parts(parts, output)
