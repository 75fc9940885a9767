"""What the use cases answer: plain values the SOAP layer translates, never ORM objects."""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.fields import Action, UserType


@dataclass(frozen=True)
class RecordRefusal:
    """Why one record of a batch was not saved: a fault code, its message, the field named."""

    code: str
    message: str
    field: str | None = None


@dataclass(frozen=True)
class SaveOutcome:
    id: str | None
    action: Action
    user_type: UserType | None = None
    error: RecordRefusal | None = None

    def as_validated(self) -> SaveOutcome:
        """What a ``Test`` save answers: no Id for a record that would be new, since the
        Id it got inside the rolled-back transaction never exists (a later save with it
        would be ``Client.NotFound``)."""
        new = self.action is Action.INSERTED
        return SaveOutcome(id=None if new else self.id, action=Action.VALIDATED,
                           user_type=self.user_type, error=self.error)


@dataclass(frozen=True)
class StaffView:
    id: str
    email: str
    first_name: str
    last_name: str
    active: bool
    club_ids: tuple[int, ...]


@dataclass(frozen=True)
class LeadSourceView:
    id: str
    name: str
    external_id: str | None
