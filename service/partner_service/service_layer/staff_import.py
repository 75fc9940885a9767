"""Importing a client's staff list in one go (``partner-service staff import FILE.csv``).

All or nothing: every row is checked first and the import stops with every mistake listed.
A row whose email the client already has is skipped rather than added again, so the same
file can be imported twice; the Connector links staff by email, and two staff members with
one email could not be linked at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.errors import NotFound, ValidationError
from ..domain.model import Staff
from .results import StaffView
from .staff import _view
from .unit_of_work import UnitOfWork

_NAME_MAX, _EMAIL_MAX = 80, 254


@dataclass(frozen=True)
class StaffRow:
    line: int
    email: str
    first_name: str
    last_name: str
    club_ids: tuple[int, ...] | None = None   # None: every club of the client
    active: bool = True


@dataclass(frozen=True)
class ImportReport:
    added: tuple[StaffView, ...]
    skipped: tuple[str, ...]   # emails the client already had


def _row_problems(row: StaffRow, club_ids: set[int]) -> list[str]:
    problems = []
    email = row.email.strip()
    if "@" not in email or len(email) > _EMAIL_MAX or any(c.isspace() for c in email):
        problems.append(f"line {row.line}: email is not an email address")
    for name, value in (("first_name", row.first_name), ("last_name", row.last_name)):
        if not value.strip() or len(value) > _NAME_MAX:
            problems.append(f"line {row.line}: {name} must be 1 to {_NAME_MAX} characters")
    unknown = set(row.club_ids or ()) - club_ids
    if unknown:
        problems.append(f"line {row.line}: clubs {sorted(unknown)} are not clubs of this client")
    return problems


def import_staff(uow: UnitOfWork, client_id: int, rows: list[StaffRow]) -> ImportReport:
    with uow:
        clubs = {club.id: club for club in uow.clubs.for_client(client_id)}
        if not clubs:
            raise NotFound(f"No client {client_id} with clubs exists.")
        known = {member.email.casefold() for member in uow.staff.list(client_id)}
        problems, first_line, fresh, skipped = [], {}, [], []
        for row in rows:
            problems.extend(_row_problems(row, set(clubs)))
            key = row.email.strip().casefold()
            if key in first_line:
                problems.append(f"line {row.line}: the email of line {first_line[key]} again")
                continue
            first_line[key] = row.line
            (skipped if key in known else fresh).append(row)
        if problems:
            shown = "; ".join(problems[:20]) + ("; ..." if len(problems) > 20 else "")
            raise ValidationError("rows", f"{len(problems)} problem(s), nothing imported: {shown}")
        members = [Staff(client_id, row.email, row.first_name.strip(), row.last_name.strip(), row.active,
                         [clubs[i] for i in sorted(row.club_ids or clubs)]) for row in fresh]
        for member in members:
            uow.staff.add(member)
        uow.flush()
        report = ImportReport(tuple(_view(m) for m in members), tuple(row.email.strip() for row in skipped))
        uow.commit()
        return report
