"""The rows a sandbox reset removes: a client's people (and their user-type history), its staff
and lead sources, and the replay cache's nonces. Credentials, clients and clubs are kept.

Nonces are stored under a hash of (username, nonce), not by client, so a reset clears the
sandbox's whole nonce table: at most ``auth_max_age`` seconds of every client's nonces, which
in a sandbox only means a message of the last minutes could be replayed once.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .orm import lead_sources, people, seen_nonces, staff, staff_clubs, user_type_history


class DemoRows:
    def __init__(self, session: Session):
        self.session = session

    def wipe(self, client_id: int) -> dict[str, int]:
        """Delete the client's records; how many rows of each kind went."""
        own_people = select(people.c.id).where(people.c.client_id == client_id)
        own_staff = select(staff.c.id).where(staff.c.client_id == client_id)
        counts = {}
        for name, statement in (
                ("history", delete(user_type_history).where(user_type_history.c.person_id.in_(own_people))),
                ("people", delete(people).where(people.c.client_id == client_id)),
                ("staff clubs", delete(staff_clubs).where(staff_clubs.c.staff_id.in_(own_staff))),
                ("staff", delete(staff).where(staff.c.client_id == client_id)),
                ("lead sources", delete(lead_sources).where(lead_sources.c.client_id == client_id)),
                ("nonces", delete(seen_nonces))):
            counts[name] = self.session.execute(statement).rowcount
        return counts
