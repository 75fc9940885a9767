"""The test site's demo data: seeded at turn-up (``turnup --seed-demo``) and again by the
nightly ``sandbox reset``, which first removes the client's people, history, staff, lead
sources and nonces, keeping its credentials, clients and clubs.

Only a sandbox (``PARTNER_ENVIRONMENT=sandbox``) may do either: ``require_sandbox`` refuses
in production, where people are real. The data is the same on every seed (names, emails,
external IDs), so a Connector team's test can count on it: staff in every club with distinct
emails, plus one pair sharing an email in the first club (the Connector's ambiguity rule:
no link); lead sources; and a prospect, a member and an ex-member in the first club.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.errors import Forbidden, NotFound
from ..domain.fields import UserType
from ..domain.model import Principal
from ..domain.people import PersonChanges
from . import lead_sources, people, tenants
from .people import PeopleStore, SaveRequest
from .unit_of_work import UnitOfWork

SANDBOX, PRODUCTION = "sandbox", "production"
STAFF_NAMES = (("Olivia", "Hart"), ("Noah", "Reyes"), ("Maya", "Chen"), ("Liam", "Okafor"))
SHARED_EMAIL = "front.desk@demo.example"
SHARED_PAIR = (("Sam", "Front"), ("Alex", "Desk"))
LEAD_SOURCES = ("Walk-in", "Website", "Referral", "Newspaper")
PEOPLE = (
    (UserType.PROSPECT, {"FirstName": "Pete", "LastName": "Prospect", "Email": "pete@example.com",
                         "Status": "Active", "Gender": "Male"}, "DEMO-PROSPECT-1"),
    (UserType.MEMBER, {"FirstName": "Mia", "LastName": "Member", "Email": "mia@example.com",
                       "Status": "Active", "Gender": "Female"}, "DEMO-MEMBER-1"),
    (UserType.EX_MEMBER, {"FirstName": "Eli", "LastName": "Former", "Status": "Inactive",
                          "Gender": "Unspecified"}, "DEMO-EXMEMBER-1"),
)


@dataclass(frozen=True)
class DemoData:
    """What a seed made: staff per club, the ambiguous pair, lead sources, people's external IDs."""

    staff: int
    shared_email: str
    lead_sources: tuple[str, ...]
    people: tuple[str, ...]


def require_sandbox(environment: str) -> None:
    if environment != SANDBOX:
        raise Forbidden(f"Refused in {environment}: demo data and resets are for a sandbox only "
                        "(PARTNER_ENVIRONMENT=sandbox, its own database).")


def staff_email(first: str, last: str, club_id: int) -> str:
    return f"{first.lower()}.{last.lower()}.club{club_id}@demo.example"


def seed_demo(uow: UnitOfWork, store: PeopleStore, environment: str, client_id: int) -> DemoData:
    """Staff, lead sources and people of the demo, for a client with clubs and no demo yet."""
    require_sandbox(environment)
    with uow:
        club_ids = [c.id for c in uow.clubs.for_client(client_id)]
    if not club_ids:
        raise NotFound(f"No client {client_id} with clubs exists.")
    staff_ids = []
    for index, club_id in enumerate(club_ids):
        first, last = STAFF_NAMES[index % len(STAFF_NAMES)]
        staff_ids.append(tenants.add_staff(uow, client_id, staff_email(first, last, club_id), first, last,
                                           [club_id]).id)
    for first, last in SHARED_PAIR:
        tenants.add_staff(uow, client_id, SHARED_EMAIL, first, last, [club_ids[0]])
    principal = Principal(client_id)
    source_ids = [lead_sources.save_lead_source(uow, principal, None, name, f"DEMO-{name.upper()}").id
                  for name in LEAD_SOURCES]
    for user_type, values, external_id in PEOPLE:
        if user_type is UserType.PROSPECT:
            values = {**values, "LeadOwnerId": staff_ids[0], "LeadSourceId": source_ids[0]}
        people.save_person(store, SaveRequest.single(principal, club_ids[0], user_type,
                                                     PersonChanges(values=values, external_id=external_id)))
    return DemoData(len(staff_ids) + len(SHARED_PAIR), SHARED_EMAIL, LEAD_SOURCES,
                    tuple(p[2] for p in PEOPLE))


def reset(uow: UnitOfWork, store: PeopleStore, environment: str,
          client_id: int) -> tuple[dict[str, int], DemoData]:
    """Remove the client's records (not its credentials) and seed the demo again."""
    require_sandbox(environment)
    with uow:
        if not uow.clubs.for_client(client_id):
            raise NotFound(f"No client {client_id} with clubs exists.")
        removed = uow.demo_rows.wipe(client_id)
        uow.commit()
    return removed, seed_demo(uow, store, environment, client_id)
