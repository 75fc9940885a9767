"""Every repository lookup is scoped to one client: tenants never see each other."""

from __future__ import annotations

import pytest
from partner_service.domain.errors import Conflict
from partner_service.domain.fields import UserType
from partner_service.domain.model import LeadSource, Person
from partner_service.service_layer.people import utcnow


def add_person(uow_factory, client_id, club_id, external_id=None) -> int:
    with uow_factory() as uow:
        person = Person(client_id, club_id, UserType.PROSPECT, utcnow(), external_id=external_id)
        person.first_name, person.last_name = "Pete", "Prospect"
        uow.people.add(person)
        uow.commit()
        return person.id


def add_source(uow_factory, client_id, name) -> int:
    with uow_factory() as uow:
        source = LeadSource(client_id, name)
        uow.lead_sources.add(source)
        uow.commit()
        return source.id


def test_people_by_id_and_external_id_only_within_the_client(uow_factory, world):
    acme, other = world.acme.client_id, world.other.client_id
    mine = add_person(uow_factory, acme, world.acme_club_ids[0], "EXT-1")
    theirs = add_person(uow_factory, other, world.other_club_ids[0], "EXT-1")
    with uow_factory() as uow:
        assert uow.people.get(acme, mine).id == mine
        assert uow.people.get(acme, str(mine)).id == mine
        assert uow.people.get(acme, theirs) is None
        assert uow.people.get(other, mine) is None
        assert uow.people.by_external_id(acme, "EXT-1").id == mine
        assert uow.people.by_external_id(other, "EXT-1").id == theirs
        assert uow.people.by_external_id(acme, "ext-1") is None
        assert uow.people.get(acme, "not-a-number") is None


def test_a_person_keeps_its_type_history(uow_factory, world):
    person_id = add_person(uow_factory, world.acme.client_id, world.acme_club_ids[0])
    with uow_factory() as uow:
        person = uow.people.get(world.acme.client_id, person_id)
        person.change_type(UserType.MEMBER, utcnow())
        uow.commit()
    with uow_factory() as uow:
        history = uow.people.get(world.acme.client_id, person_id).type_history
        assert [(h.from_type, h.to_type) for h in history] == [(None, UserType.PROSPECT),
                                                               (UserType.PROSPECT, UserType.MEMBER)]


def test_clubs_only_within_the_client(uow_factory, world):
    acme, other = world.acme.client_id, world.other.client_id
    with uow_factory() as uow:
        assert uow.clubs.get(acme, world.acme_club_ids[1]).id == world.acme_club_ids[1]
        assert uow.clubs.get(acme, world.other_club_ids[0]) is None
        assert uow.clubs.get(acme, None) is None
        assert [c.id for c in uow.clubs.for_client(acme)] == list(world.acme_club_ids)
        assert [c.id for c in uow.clubs.for_client(other)] == list(world.other_club_ids)


def test_staff_only_within_the_client(uow_factory, world):
    acme, other = world.acme.client_id, world.other.client_id
    with uow_factory() as uow:
        assert uow.staff.get(acme, world.staff_id).email == "jstaff@club.com"
        assert uow.staff.get(acme, world.other_staff_id) is None
        assert [s.id for s in uow.staff.list(acme)] == [int(world.staff_id)]
        assert [s.id for s in uow.staff.list(other)] == [int(world.other_staff_id)]
        assert uow.staff.list(acme, frozenset(world.other_club_ids)) == []
        assert [s.id for s in uow.staff.list(acme, frozenset(world.acme_club_ids[:1]))] == [int(world.staff_id)]
        assert [s.email for s in uow.staff.by_email(acme, " JStaff@CLUB.com ")] == ["jstaff@club.com"]
        assert uow.staff.by_email(acme, "ostaff@other.com") == []
        assert uow.staff.get(acme, world.staff_id).club_ids == sorted(world.acme_club_ids)


def test_lead_sources_only_within_the_client(uow_factory, world):
    acme, other = world.acme.client_id, world.other.client_id
    mine = add_source(uow_factory, acme, "Web")
    theirs = add_source(uow_factory, other, "Web")
    with uow_factory() as uow:
        assert uow.lead_sources.get(acme, mine).name == "Web"
        assert uow.lead_sources.get(acme, theirs) is None
        assert uow.lead_sources.by_name(acme, "  WEB ").id == mine
        assert uow.lead_sources.by_name(other, "web").id == theirs
        assert [s.id for s in uow.lead_sources.list(acme)] == [mine]


def test_the_database_refuses_a_second_lead_source_of_the_same_key(uow_factory, world):
    add_source(uow_factory, world.acme.client_id, "Web")
    with uow_factory() as uow:
        uow.lead_sources.add(LeadSource(world.acme.client_id, " web "))
        with pytest.raises(Conflict) as refused:
            uow.flush()
    assert "unique" in str(refused.value.__cause__).lower()
