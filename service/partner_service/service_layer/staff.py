"""Reading the partner's staff, which the Connector links to its own by email."""

from __future__ import annotations

from ..domain.errors import NotFound, ValidationError
from ..domain.model import Principal, Staff
from .planning import club_in_scope
from .results import StaffView
from .unit_of_work import UnitOfWork


def _view(member: Staff) -> StaffView:
    return StaffView(id=str(member.id), email=member.email, first_name=member.first_name,
                     last_name=member.last_name, active=member.active,
                     club_ids=tuple(member.club_ids))


def list_staff(uow: UnitOfWork, principal: Principal, club_id: int | None = None) -> list[StaffView]:
    """Staff of one club, or of every club the credential may use when ``club_id`` is None."""
    with uow:
        if club_id is not None:
            scope = frozenset({club_in_scope(uow.clubs.get, principal, club_id).id})
        else:
            scope = principal.club_ids
        rows = uow.staff.summaries(principal.client_id, scope)
        return [StaffView(str(staff_id), email, first, last, active, clubs)
                for staff_id, email, first, last, active, clubs in rows]


def staff_by_email(uow: UnitOfWork, principal: Principal, email: str) -> StaffView:
    """The one staff member with that email (case-insensitive, trimmed)."""
    if not email or not email.strip():
        raise ValidationError("Email", "Email must not be blank.")
    with uow:
        found = [m for m in uow.staff.by_email(principal.client_id, email)
                 if principal.club_ids is None or principal.club_ids.intersection(m.club_ids)]
        if not found:
            raise NotFound("No staff member has that email.")
        if len(found) > 1:
            raise ValidationError("Email", f"{len(found)} staff members share that email; "
                                  "it cannot identify one.")
        return _view(found[0])
