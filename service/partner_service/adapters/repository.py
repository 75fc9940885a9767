"""Repositories: every lookup is scoped to one client, so tenants never see each other."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..domain.model import Client, Club, LeadSource, Person, Staff, lead_source_key
from .orm import staff, staff_clubs


def parse_id(value: str | int | None) -> int | None:
    """This system's IDs travel as strings; anything not a positive integer is no ID of ours."""
    if value is None:
        return None
    text = str(value).strip()
    # isascii: str.isdigit() also accepts other scripts' digits (Arabic-Indic, superscripts).
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        return None
    number = int(text)
    return number if number > 0 else None


class PeopleRepository:
    """People as domain objects, for reading. Saves lock and write rows set-based
    (``people_rows``, ``service_layer.planning``), not through this repository."""

    def __init__(self, session: Session):
        self.session = session

    def add(self, person: Person) -> None:
        self.session.add(person)

    def get(self, client_id: int, person_id: str | int | None) -> Person | None:
        number = parse_id(person_id)
        if number is None:
            return None
        person = self.session.get(Person, number)
        return person if person is not None and person.client_id == client_id else None

    def by_external_id(self, client_id: int, external_id: str) -> Person | None:
        query = select(Person).where(Person.client_id == client_id, Person.external_id == external_id)
        return self.session.scalars(query).one_or_none()


class ClientRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, client: Client) -> None:
        self.session.add(client)

    def add_club(self, club: Club) -> None:
        self.session.add(club)

    def get(self, client_id: int) -> Client | None:
        return self.session.get(Client, client_id)


def known_club(known: dict[int, Club], client_id: int, club_id: int | None,
               read: Callable[[int], tuple[int, str] | None]) -> Club | None:
    """The club of that client, from ``known`` (what its owner read before: a session factory's
    or a store's cache, never the process's) or else ``read(club_id)`` (its owner and name).
    Every save asks first whose club it is; clubs are created, never moved or deleted, so what
    was once read holds for as long as the cache's owner lives."""
    if club_id is None:
        return None
    club = known.get(club_id)
    if club is None:
        found = read(club_id)
        if found is None:
            return None
        # One detached Club per club and process, only ever read (building a mapped object
        # costs about as much as the rest of the lookup).
        club = Club(*found)
        club.id = club_id
        known[club_id] = club
    return club if club.client_id == client_id else None


class ClubRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, client_id: int, club_id: int | None) -> Club | None:
        return known_club(self.session.info.setdefault("known_clubs", {}), client_id, club_id, self._read)

    def _read(self, club_id: int) -> tuple[int, str] | None:
        club = self.session.get(Club, club_id)
        return None if club is None else (club.client_id, club.name)

    def for_client(self, client_id: int) -> list[Club]:
        return list(self.session.scalars(select(Club).where(Club.client_id == client_id)
                                         .order_by(Club.id)))


class StaffRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, member: Staff) -> None:
        self.session.add(member)

    def get(self, client_id: int, staff_id: str | int | None) -> Staff | None:
        number = parse_id(staff_id)
        if number is None:
            return None
        member = self.session.get(Staff, number)
        return member if member is not None and member.client_id == client_id else None

    def list(self, client_id: int, club_ids: frozenset[int] | None = None) -> list[Staff]:
        query = select(Staff).where(Staff.client_id == client_id).order_by(Staff.id)
        if club_ids is not None:
            in_clubs = select(staff_clubs.c.staff_id).where(staff_clubs.c.club_id.in_(club_ids))
            query = query.where(Staff.id.in_(in_clubs))
        return list(self.session.scalars(query))

    def summaries(self, client_id: int, club_ids: frozenset[int] | None = None) -> list[tuple]:
        """``list`` as plain rows (id, email, first_name, last_name, active, sorted club IDs), in
        two queries and without ORM objects: GetStaffList answers hundreds of them."""
        query = (select(staff.c.id, staff.c.email, staff.c.first_name, staff.c.last_name, staff.c.active)
                 .where(staff.c.client_id == client_id).order_by(staff.c.id))
        if club_ids is not None:
            query = query.where(staff.c.id.in_(
                select(staff_clubs.c.staff_id).where(staff_clubs.c.club_id.in_(club_ids))))
        rows = self.session.execute(query).all()
        clubs: dict[int, list[int]] = {row.id: [] for row in rows}
        links = (select(staff_clubs.c.staff_id, staff_clubs.c.club_id)
                 .join(staff, staff.c.id == staff_clubs.c.staff_id)
                 .where(staff.c.client_id == client_id).order_by(staff_clubs.c.club_id))
        for staff_id, club_id in self.session.execute(links):
            if staff_id in clubs:
                clubs[staff_id].append(club_id)
        return [(*row, tuple(clubs[row.id])) for row in rows]

    def by_email(self, client_id: int, email: str) -> list[Staff]:
        return list(self.session.scalars(
            select(Staff).where(Staff.client_id == client_id,
                                func.lower(Staff.email) == email.strip().lower())
            .order_by(Staff.id)))


class LeadSourceRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, source: LeadSource) -> None:
        self.session.add(source)

    def get(self, client_id: int, source_id: str | int | None) -> LeadSource | None:
        number = parse_id(source_id)
        if number is None:
            return None
        source = self.session.get(LeadSource, number)
        return source if source is not None and source.client_id == client_id else None

    def by_name(self, client_id: int, name: str) -> LeadSource | None:
        return self.session.scalars(
            select(LeadSource).where(LeadSource.client_id == client_id,
                                     LeadSource.name_key == lead_source_key(name))
        ).one_or_none()

    def list(self, client_id: int) -> list[LeadSource]:
        return list(self.session.scalars(
            select(LeadSource).where(LeadSource.client_id == client_id).order_by(LeadSource.id)))
