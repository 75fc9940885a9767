"""Operator tasks: creating clients, clubs and staff (never done by the Connector)."""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.errors import NotFound, ValidationError
from ..domain.model import Client, Club, Staff
from .results import StaffView
from .staff import _view
from .unit_of_work import UnitOfWork


@dataclass(frozen=True)
class ClientView:
    id: int
    name: str
    club_ids: tuple[int, ...]


def create_client(uow: UnitOfWork, name: str, club_count: int = 1) -> ClientView:
    if not name.strip():
        raise ValidationError("name", "A client needs a name.")
    if not 1 <= club_count <= 1000:
        raise ValidationError("clubs", "A client has 1 to 1000 clubs.")
    with uow:
        client = Client(name.strip())
        uow.clients.add(client)
        uow.flush()
        clubs = [Club(client.id, f"{client.name} club {n}") for n in range(1, club_count + 1)]
        for club in clubs:
            uow.clients.add_club(club)
        uow.flush()
        view = ClientView(client.id, client.name, tuple(c.id for c in clubs))
        uow.commit()
        return view


def add_staff(uow: UnitOfWork, client_id: int, email: str, first_name: str, last_name: str,
              club_ids: list[int] | None = None, active: bool = True) -> StaffView:
    if "@" not in email or not email.strip():
        raise ValidationError("email", "A staff member needs an email address.")
    with uow:
        clubs = uow.clubs.for_client(client_id)
        if not clubs:
            raise NotFound(f"No client {client_id} with clubs exists.")
        wanted = set(club_ids) if club_ids else {c.id for c in clubs}
        unknown = wanted - {c.id for c in clubs}
        if unknown:
            raise ValidationError("clubs", f"Clubs {sorted(unknown)} are not clubs of client {client_id}.")
        member = Staff(client_id, email, first_name, last_name, active,
                       [c for c in clubs if c.id in wanted])
        uow.staff.add(member)
        uow.flush()
        view = _view(member)
        uow.commit()
        return view
