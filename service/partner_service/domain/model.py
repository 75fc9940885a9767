"""Entities of the partner platform: tenants, clubs, people, staff and lead sources."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .fields import PROSPECT_FIELDS, UserType


@dataclass(frozen=True)
class Principal:
    """Who is calling: the credential's client and the clubs it may touch.

    ``club_ids`` of ``None`` means every club of the client.
    """

    client_id: int
    club_ids: frozenset[int] | None = None
    credential_id: int | None = None
    username: str = ""

    def may_use_club(self, club_id: int) -> bool:
        return self.club_ids is None or club_id in self.club_ids


class Client:
    """A tenant: one fitness-club operator using this platform."""

    def __init__(self, name: str):
        self.id: int | None = None
        self.name = name


class Club:
    def __init__(self, client_id: int, name: str):
        self.id: int | None = None
        self.client_id = client_id
        self.name = name


class UserTypeChange:
    """One line of a person's user-type history (prospect -> member -> ex-member ...)."""

    def __init__(self, from_type: UserType | None, to_type: UserType, changed_at: datetime):
        self.id: int | None = None
        self.from_type = from_type
        self.to_type = to_type
        self.changed_at = changed_at


class Person:
    """A prospect, member or ex-member of one club of one client."""

    def __init__(self, client_id: int, club_id: int, user_type: UserType, now: datetime,
                 external_id: str | None = None):
        self.id: int | None = None
        self.client_id = client_id
        self.club_id = club_id
        self.user_type = user_type
        self.external_id = external_id
        for spec in PROSPECT_FIELDS:
            setattr(self, spec.attr, None)
        self.inserted_at = now
        self.updated_at = now
        self.type_history: list[UserTypeChange] = [UserTypeChange(None, user_type, now)]

    def snapshot(self) -> dict:
        """The caller-visible state, to tell Updated from Unchanged."""
        state = {spec.attr: getattr(self, spec.attr) for spec in PROSPECT_FIELDS}
        state.update(club_id=self.club_id, user_type=self.user_type, external_id=self.external_id)
        return state

    def change_type(self, user_type: UserType, now: datetime) -> None:
        if user_type is not self.user_type:
            self.type_history.append(UserTypeChange(self.user_type, user_type, now))
            self.user_type = user_type


class Staff:
    """A staff member of the partner; read by the Connector, never written by it."""

    def __init__(self, client_id: int, email: str, first_name: str, last_name: str,
                 active: bool = True, clubs: list[Club] | None = None):
        self.id: int | None = None
        self.client_id = client_id
        self.email = email.strip()
        self.first_name = first_name
        self.last_name = last_name
        self.active = active
        self.clubs: list[Club] = list(clubs or [])

    @property
    def club_ids(self) -> list[int]:
        return sorted(club.id for club in self.clubs)


def lead_source_key(name: str) -> str:
    """Lead sources are the same when their names match case-insensitively, trimmed."""
    return " ".join(name.split()).casefold()


class LeadSource:
    def __init__(self, client_id: int, name: str, external_id: str | None = None):
        self.id: int | None = None
        self.client_id = client_id
        self.external_id = external_id
        self.rename(name)

    def rename(self, name: str) -> None:
        self.name = name.strip()
        self.name_key = lead_source_key(name)
