"""Reading the Connector's input files: CSV (with a header row) or JSON Lines.

Files come as people have them: CSV saved by Excel ("CSV UTF-8" starts with a byte-order
mark; the default encoding ``utf-8-sig`` reads files with and without one), comma or
semicolon separated (sniffed from the header line, or given), in another encoding when
told. A header without the columns a file needs is one error naming the missing columns
and showing the header found; a JSON Lines line that is not a JSON object is reported
with its line number. Column names are the snake_case names below or the contract's
PascalCase element names (``first_name`` or ``FirstName``).

A person record (``partner-client push``) has ``connector_id`` (the Connector's own ID,
sent as ``ExternalId``), ``user_type`` (``prospect`` by default, ``member``,
``ex-member``), ``club_id`` (the partner's club number; optional when the turn-up sheet
lists one club), ``owner_id`` and ``lead_source_id`` (the Connector's staff and lead
source IDs, sent as the linked partner IDs), ``fields_to_null`` (field names, a JSON list
or ``;``-separated), and the person fields of
:class:`~partner_client.generated.types.Prospect` (``first_name``, ``birth_date``,
``trial_start_date``...). Empty values are left out of the save, so the partner keeps
what it has (contract "Save semantics"). A line of a push's failures file (an object
with the failed ``record`` in it) is read as that record, so the failures file can be
pushed again as it is.

Problems with one record name the field as the contract does (``BirthDate``, ``Gender``),
and an enumeration's problem lists the allowed values.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import datetime
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from enum import Enum
from pathlib import Path
from typing import Any

from .exceptions import InputError
from .generated.types import Prospect

_USER_TYPES = {"prospect": "Prospect", "member": "Member", "ex-member": "ExMember", "exmember": "ExMember",
               "ex_member": "ExMember"}
_LINK_KEYS = {"id", "external_id", "lead_owner_id", "lead_source_id", "fields_to_null"}
PERSON_FIELDS = {f.name: f.metadata for f in dataclasses.fields(Prospect) if f.name not in _LINK_KEYS}
_WIRE_NAMES = {name: meta["wire"] for name, meta in PERSON_FIELDS.items()}
_CONTROL = {"connector_id": "ExternalId", "user_type": "UserType", "club_id": "ClubId",
            "owner_id": "LeadOwnerId", "lead_source_id": "LeadSourceId", "fields_to_null": "FieldsToNull"}
PERSON_COLUMNS = (*_CONTROL, *PERSON_FIELDS)
_KNOWN = frozenset(PERSON_COLUMNS)
# The contract's element names are accepted as column names too (``FirstName`` for ``first_name``);
# ``ExternalId`` is the Connector's ID, the column ``connector_id``.
_ALIASES = {wire.casefold(): name for name, wire in _WIRE_NAMES.items()} | {
    "externalid": "connector_id", "usertype": "user_type", "clubid": "club_id"}
_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
FAILURE_RECORD_KEY = "record"  # a failures file line: {"line", ..., "record": {the record}}


@dataclass(frozen=True)
class Columns:
    """What one kind of input file holds: required columns, and every column it may have
    (``None``: others are ignored)."""

    required: tuple[str, ...]
    known: tuple[str, ...] | None = None

    def column(self, name: str) -> str:
        """A header cell as the column it names (spaces trimmed, PascalCase accepted)."""
        name = (name or "").strip()
        if self.known is not None and name in self.known or name in self.required:
            return name
        return _ALIASES.get(name.casefold(), name)


PEOPLE = Columns(("connector_id",), PERSON_COLUMNS)
STAFF = Columns(("connector_id", "email"))
LEAD_SOURCES = Columns(("connector_id", "name"))


@dataclass(frozen=True)
class InputFormat:
    """How to read a file: its encoding, and for CSV the delimiter (``None``: sniffed)."""

    encoding: str = "utf-8-sig"
    delimiter: str | None = None


@dataclass(frozen=True)
class Row:
    """One line of an input file: its columns, or ``problem`` when it is not a record."""

    line: int
    values: dict[str, Any]
    problem: str | None = None


@dataclass(frozen=True)
class ConnectorRecord:
    line: int
    connector_id: str
    user_type: str
    club_id: int | None
    owner_id: str | None = None
    lead_source_id: str | None = None
    values: dict[str, Any] = dataclass_field(default_factory=dict)
    fields_to_null: tuple[str, ...] = ()
    row: dict[str, Any] | None = dataclass_field(default=None, compare=False, repr=False)  # as read


@dataclass(frozen=True)
class RecordProblem:
    """A row that cannot become a save; reported as failed without a request."""

    line: int
    connector_id: str | None
    message: str
    field: str | None = None
    row: dict[str, Any] | None = dataclass_field(default=None, compare=False, repr=False)


def _sniff(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in _DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _describe(delimiter: str) -> str:
    return _DELIMITER_NAMES.get(delimiter, repr(delimiter))


def _undecodable_line(path: Path, encoding: str) -> int | None:
    """The number of the first line that cannot be decoded. A text file is decoded in blocks,
    so the line being parsed when decoding fails may be lines before the bad bytes: the bytes
    are decoded again here, a line at a time (the incremental decoder keeps a character split
    between two reads, so this holds for any encoding)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with path.open("rb") as handle:
        for raw in handle:
            try:
                line += decoder.decode(raw).count("\n")
            except UnicodeDecodeError:
                return line
    return None


def _decode_error(path: Path, form: InputFormat, error: UnicodeDecodeError) -> InputError:
    line = _undecodable_line(path, form.encoding)
    where = "the header" if line == 1 else f"line {line}" if line else "the end"
    return InputError(f"{path}: {where} is not {form.encoding} text ({error.reason}); "
                      "name the file's encoding with --encoding (e.g. --encoding cp1252).")


def _csv_rows(path: Path, handle, columns: Columns, form: InputFormat) -> Iterator[Row]:
    """Reads and checks the header at once; the rows as they are iterated."""
    try:
        first = handle.readline()
    except UnicodeDecodeError as error:
        raise _decode_error(path, form, error) from None
    if not first.strip():
        raise InputError(f"{path} is empty: a CSV file starts with a header line naming its columns.")
    delimiter = form.delimiter or _sniff(first)
    header_cells = next(csv.reader([first], delimiter=delimiter))
    header = [columns.column(cell) for cell in header_cells]
    missing = [c for c in columns.required if c not in header]
    how = f"read as {form.encoding}, {_describe(delimiter)}-separated"
    if missing:
        hint = "" if form.delimiter else "; name the separator with --delimiter if it is not , or ;"
        raise InputError(f"{path}: the header has no column {', '.join(missing)} (required: "
                         f"{', '.join(columns.required)}). The header found: {first.strip()!r} "
                         f"({how}{hint}).")
    if columns.known is not None:
        unknown = [c for c in header if c not in columns.known]
        if unknown:
            raise InputError(f"{path}: unknown columns {', '.join(unknown)} ({how}). The columns are "
                             f"listed by --help and in docs/client.md.")
    return _csv_body(path, handle, header, delimiter, how, form)


def _csv_body(path: Path, handle, header: list[str], delimiter: str, how: str,
              form: InputFormat) -> Iterator[Row]:
    reader = csv.reader(handle, delimiter=delimiter)
    line = 1
    try:
        for cells in reader:
            line = reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(header):
                yield Row(line, {}, f"line {line} has {len(cells)} values but the header has "
                                    f"{len(header)} columns ({how})")
                continue
            yield Row(line, dict(zip(header, cells, strict=False)))
    except UnicodeDecodeError as error:
        raise _decode_error(path, form, error) from None
    except csv.Error as error:
        raise InputError(f"{path} line {line}: {error}.") from None


def _json_rows(path: Path, handle, columns: Columns, form: InputFormat) -> Iterator[Row]:
    number = 0
    try:
        for number, text in enumerate(handle, 1):
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as error:
                yield Row(number, {}, f"line {number} is not JSON ({error.msg} at column {error.colno}); "
                                      "a JSON Lines file holds one JSON object a line")
                continue
            if isinstance(value, dict) and FAILURE_RECORD_KEY in value and "code" in value:  # a failures file's
                if not isinstance(value[FAILURE_RECORD_KEY], dict):
                    yield Row(number, {}, f"line {number} is a failure without a record to send "
                                          f"({value.get('message')})")
                    continue
                value = value[FAILURE_RECORD_KEY]
            if not isinstance(value, dict):
                yield Row(number, {}, f"line {number} is a JSON {type(value).__name__}, not an object")
                continue
            yield Row(number, {columns.column(k): v for k, v in value.items()})
    except UnicodeDecodeError as error:
        raise _decode_error(path, form, error) from None


def read_rows(path: str | Path, columns: Columns = PEOPLE, form: InputFormat = InputFormat()) -> Iterator[Row]:
    """The rows of a ``.csv`` file or of JSON Lines (any other name), in file order.

    Raises ``InputError`` for what spoils the whole file: at once when the file cannot be
    opened or its header is wrong, while iterating when a later line cannot be decoded.
    """
    path = Path(path)
    try:
        handle = path.open(encoding=form.encoding, newline="")
    except LookupError:
        raise InputError(f"Unknown encoding {form.encoding!r}.") from None
    except OSError as error:
        raise InputError(f"Cannot read {path}: {error.strerror}.") from None
    try:
        reader = _csv_rows if path.suffix.lower() == ".csv" else _json_rows
        rows = reader(path, handle, columns, form)
    except BaseException:
        handle.close()
        raise
    return _closing(handle, rows)


def _closing(handle, rows: Iterator[Row]) -> Iterator[Row]:
    with handle:
        yield from rows


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
    if isinstance(value, dict | list):
        raise TypeError(name)
    return str(value).strip()


def _format_problem(name: str) -> str:
    wire = _WIRE_NAMES[name]
    kind = PERSON_FIELDS[name]["type"]
    if kind is datetime.datetime:
        return f"{wire} must be a date and time (YYYY-MM-DDTHH:MM:SS, with an optional offset such as +00:00)"
    if kind is datetime.date:
        return f"{wire} must be a date (YYYY-MM-DD)"
    if isinstance(kind, type) and issubclass(kind, Enum):
        return f"{wire} must be one of {', '.join(m.value for m in kind)}"
    return f"{wire} must be text"


def _to_null(value: Any) -> tuple[str, ...]:
    if _blank(value):
        return ()
    names = value if isinstance(value, list) else str(value).split(";")
    return tuple(_WIRE_NAMES.get(str(n).strip(), str(n).strip()) for n in names if str(n).strip())


def parse_record(line: int, row: dict[str, Any], default_club: int | None) -> ConnectorRecord | RecordProblem:
    """One row as a save, or the problem that keeps it from being one."""
    if not _KNOWN.issuperset(row):
        row = {PEOPLE.column(k): v for k, v in row.items()}
    connector_id = None if _blank(row.get("connector_id")) else str(row["connector_id"]).strip()
    if connector_id is None:
        return RecordProblem(line, None, "ExternalId is required: the record has no connector_id",
                             "ExternalId", row)

    def problem(message: str, field_name: str | None) -> RecordProblem:
        return RecordProblem(line, connector_id, message, field_name, row)

    unknown = sorted(k for k in row if k not in PERSON_FIELDS and k not in _CONTROL)
    if unknown:
        return problem(f"unknown columns: {', '.join(unknown)}", unknown[0])
    user_type = _USER_TYPES.get(str(row.get("user_type") or "prospect").strip().casefold())
    if user_type is None:
        return problem("UserType must be one of Prospect, Member, ExMember (user_type prospect, member or "
                       "ex-member)", "UserType")
    club = row.get("club_id")
    try:
        club_id = default_club if _blank(club) else int(club)
    except (TypeError, ValueError):
        return problem("ClubId must be a club number", "ClubId")
    if club_id is None:
        return problem("ClubId is required: the turn-up sheet lists several clubs", "ClubId")
    values = {}
    for name in PERSON_FIELDS:
        if name not in row or _blank(row[name]):
            continue
        try:
            values[name] = _convert(name, row[name])
        except (KeyError, ValueError, TypeError):
            return problem(_format_problem(name), _WIRE_NAMES[name])
    text = {k: None if _blank(row.get(k)) else str(row[k]).strip() for k in ("owner_id", "lead_source_id")}
    return ConnectorRecord(line, connector_id, user_type, club_id, text["owner_id"], text["lead_source_id"],
                           values, _to_null(row.get("fields_to_null")), row)


def parse_rows(rows: Iterable[Row], default_club: int | None) -> Iterator[ConnectorRecord | RecordProblem]:
    for row in rows:
        if row.problem:
            yield RecordProblem(row.line, None, row.problem, None, None)
        else:
            yield parse_record(row.line, row.values, default_club)


def read_records(path: str | Path, default_club: int | None,
                 form: InputFormat = InputFormat()) -> Iterator[ConnectorRecord | RecordProblem]:
    return parse_rows(read_rows(path, PEOPLE, form), default_club)
