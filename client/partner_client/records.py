"""Reading the Connector's records: CSV (with a header row) or JSON Lines.

A person record has ``connector_id`` (the Connector's own ID, sent as ``ExternalId``),
``user_type`` (``prospect`` by default, ``member``, ``ex-member``), ``club_id`` (the
partner's club number; optional when the turn-up sheet lists one club), ``owner_id``
and ``lead_source_id`` (the Connector's staff and lead source IDs, sent as the linked
partner IDs), ``fields_to_null`` (field names, a JSON list or ``;``-separated), and the
person fields in the snake_case names of :class:`~partner_client.generated.types.Prospect`
(``first_name``, ``birth_date``, ``trial_start_date``...). Empty values are left out of
the save, so the partner keeps what it has (contract "Save semantics").
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from .generated.types import Prospect

_USER_TYPES = {"prospect": "Prospect", "member": "Member", "ex-member": "ExMember", "exmember": "ExMember",
               "ex_member": "ExMember"}
_LINK_KEYS = {"id", "external_id", "lead_owner_id", "lead_source_id", "fields_to_null"}
PERSON_FIELDS = {f.name: f.metadata for f in dataclasses.fields(Prospect) if f.name not in _LINK_KEYS}
_WIRE_NAMES = {name: meta["wire"] for name, meta in PERSON_FIELDS.items()}
_CONTROL = {"connector_id", "user_type", "club_id", "owner_id", "lead_source_id", "fields_to_null"}


@dataclass(frozen=True)
class ConnectorRecord:
    line: int
    connector_id: str
    user_type: str
    club_id: int | None
    owner_id: str | None = None
    lead_source_id: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    fields_to_null: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecordProblem:
    """A row that cannot become a save; reported as failed without a request."""

    line: int
    connector_id: str | None
    message: str


def read_rows(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, row) of a ``.csv`` file or of JSON Lines (any other name)."""
    path = Path(path)
    with path.open(encoding="utf-8", newline="") as handle:
        if path.suffix.lower() == ".csv":
            reader = csv.DictReader(handle)
            for row in reader:
                yield reader.line_num, row if None not in row else {"__invalid__": True}
        else:
            for number, line in enumerate(handle, 1):
                if line.strip():
                    try:
                        row = json.loads(line)
                    except json.JSONDecodeError:
                        row = None
                    yield number, row if isinstance(row, dict) else {"__invalid__": True}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _convert(name: str, value: Any) -> Any:
    kind = PERSON_FIELDS[name]["type"]
    if kind is datetime.datetime:
        return value if isinstance(value, datetime.datetime) else datetime.datetime.fromisoformat(str(value))
    if kind is datetime.date:
        return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(str(value))
    if isinstance(kind, type) and issubclass(kind, Enum):
        by_key = {m.value.casefold(): m for m in kind}
        return by_key[str(value).strip().casefold()]
    return str(value).strip()


def _to_null(value: Any) -> tuple[str, ...]:
    if _blank(value):
        return ()
    names = value if isinstance(value, list) else str(value).split(";")
    return tuple(_WIRE_NAMES.get(str(n).strip(), str(n).strip()) for n in names if str(n).strip())


def parse_record(line: int, row: dict[str, Any], default_club: int | None) -> ConnectorRecord | RecordProblem:
    if row.get("__invalid__"):
        return RecordProblem(line, None, "not a record (a JSON object, or a CSV row as long as the header)")
    connector_id = None if _blank(row.get("connector_id")) else str(row["connector_id"]).strip()
    if connector_id is None:
        return RecordProblem(line, None, "connector_id is required")
    unknown = sorted(k for k in row if k not in PERSON_FIELDS and k not in _CONTROL)
    if unknown:
        return RecordProblem(line, connector_id, f"unknown columns: {', '.join(unknown)}")
    user_type = _USER_TYPES.get(str(row.get("user_type") or "prospect").strip().casefold())
    if user_type is None:
        return RecordProblem(line, connector_id, "user_type must be prospect, member or ex-member")
    club = row.get("club_id")
    try:
        club_id = default_club if _blank(club) else int(club)
    except (TypeError, ValueError):
        return RecordProblem(line, connector_id, "club_id must be a club number")
    if club_id is None:
        return RecordProblem(line, connector_id, "club_id is required (the sheet lists several clubs)")
    values = {}
    for name in PERSON_FIELDS:
        if name not in row or _blank(row[name]):
            continue
        try:
            values[name] = _convert(name, row[name])
        except (KeyError, ValueError, TypeError):
            return RecordProblem(line, connector_id, f"{name} has a value of the wrong type or format")
    text = {k: None if _blank(row.get(k)) else str(row[k]).strip() for k in ("owner_id", "lead_source_id")}
    return ConnectorRecord(line, connector_id, user_type, club_id, text["owner_id"], text["lead_source_id"],
                           values, _to_null(row.get("fields_to_null")))


def read_records(path: str | Path, default_club: int | None) -> Iterator[ConnectorRecord | RecordProblem]:
    for line, row in read_rows(path):
        yield parse_record(line, row, default_club)
