"""Authorisation over the wire: one client's credential never reaches another client's data,
for every operation, and a club-limited credential stays inside its clubs."""

from __future__ import annotations

import pytest
import zeep
import zeep.exceptions
from partner_service.domain.fields import UserType
from partner_service.domain.model import Person
from partner_service.domain.people import PersonChanges
from partner_service.service_layer import lead_sources
from sqlalchemy import select
from zeep.transports import Transport
from zeep.wsse.username import UsernameToken

from ..support.saves import save_one
from ..support.wsse import live_secure_app

PETE = {"FirstName": "Pete", "LastName": "Prospect"}


@pytest.fixture
def live(engine, uow_factory, world, tmp_path):
    with live_secure_app(engine, uow_factory, tmp_path) as live:
        yield live


@pytest.fixture
def others(world, uow_factory):
    """Data of the other client: a prospect and a lead source."""
    person = save_one(uow_factory, world.other, world.other_club_ids[0], UserType.PROSPECT,
                                PersonChanges(values={"FirstName": "Olga", "LastName": "Other"},
                                              external_id="o-1"))
    source = lead_sources.save_lead_source(uow_factory(), world.other, None, "Radio")
    return {"person_id": person.id, "source_id": source.id}


def client_for(live, client_id, club_ids=None) -> zeep.Client:
    username, password = live.credential(client_id, club_ids)
    return zeep.Client(f"{live.url}/soap?wsdl", transport=Transport(timeout=10, operation_timeout=10),
                       wsse=UsernameToken(username, password, use_digest=True))


def fault_code(call, **kwargs) -> str:
    with pytest.raises(zeep.exceptions.Fault) as caught:
        call(**kwargs)
    return caught.value.code.split(":", 1)[-1]


def other_state(uow_factory, world, others) -> tuple:
    """What the other client has, to prove nothing of it changed."""
    with uow_factory() as uow:
        person = uow.people.get(world.other.client_id, others["person_id"])
        source = uow.lead_sources.get(world.other.client_id, others["source_id"])
        return (person.first_name, person.club_id, person.user_type, source.name,
                len(uow.lead_sources.list(world.other.client_id)))


SINGLE_SAVES = [("SaveProspect", "Prospect"), ("SaveMember", "Member"), ("SaveExMember", "ExMember")]
BATCH_SAVES = [("SaveProspects", "Prospects", "Prospect"), ("SaveMembers", "Members", "Member"),
               ("SaveExMembers", "ExMembers", "Member")]


@pytest.mark.parametrize(("operation", "element"), SINGLE_SAVES)
def test_single_saves_cannot_reach_another_client(live, world, others, uow_factory, operation, element):
    before = other_state(uow_factory, world, others)
    call = getattr(client_for(live, world.acme.client_id).service, operation)
    assert fault_code(call, ClubId=world.other_club_ids[0], **{element: PETE}) == "Client.Forbidden"
    assert fault_code(call, ClubId=world.acme_club_ids[0],
                      **{element: {**PETE, "Id": others["person_id"]}}) == "Client.NotFound"
    # The other client's ExternalId is no key for us: a new person of ours, theirs untouched.
    result = call(ClubId=world.acme_club_ids[0], **{element: {**PETE, "ExternalId": "o-1"}})
    assert result.Action == "Inserted" and result.Id != others["person_id"]
    assert other_state(uow_factory, world, others) == before


@pytest.mark.parametrize(("operation", "wrapper", "element"), BATCH_SAVES)
def test_batch_saves_cannot_reach_another_client(live, world, others, uow_factory, operation, wrapper, element):
    before = other_state(uow_factory, world, others)
    call = getattr(client_for(live, world.acme.client_id).service, operation)
    code = fault_code(call, ClubId=world.other_club_ids[0], **{wrapper: {element: [PETE]}})
    assert code == "Client.Forbidden"
    results = call(ClubId=world.acme_club_ids[0], **{wrapper: {element: [{**PETE, "Id": others["person_id"]}]}})
    assert [(r.Action, r.Error.Code) for r in results] == [("Failed", "Client.NotFound")]
    assert other_state(uow_factory, world, others) == before


def test_staff_of_another_client_are_invisible(live, world):
    service = client_for(live, world.acme.client_id).service
    assert fault_code(service.GetStaffList, ClubId=world.other_club_ids[0]) == "Client.Forbidden"
    assert [s.StaffId for s in service.GetStaffList()] == [world.staff_id]
    assert fault_code(service.GetStaffByEmail, Email="ostaff@other.com") == "Client.NotFound"


def test_lead_sources_of_another_client_are_invisible_and_unchangeable(live, world, others, uow_factory):
    before = other_state(uow_factory, world, others)
    service = client_for(live, world.acme.client_id).service
    assert service.GetLeadSources() == []
    assert fault_code(service.SaveLeadSource,
                      LeadSource={"LeadSourceId": others["source_id"], "Name": "Hijacked"}) == "Client.NotFound"
    # The same name is a new lead source of ours, not theirs.
    created = service.SaveLeadSource(LeadSource={"Name": "Radio"})
    assert created.Action == "Inserted" and created.Id != others["source_id"]
    assert other_state(uow_factory, world, others) == before


def test_club_limited_credential_stays_in_its_clubs(live, world, uow_factory):
    inside, outside = world.acme_club_ids
    service = client_for(live, world.acme.client_id, [inside]).service
    assert service.SaveProspect(ClubId=inside, Prospect=PETE).Action == "Inserted"
    assert fault_code(service.SaveProspect, ClubId=outside, Prospect=PETE) == "Client.Forbidden"
    assert fault_code(service.SaveMembers, ClubId=outside, Members={"Member": [PETE]}) == "Client.Forbidden"
    assert fault_code(service.GetStaffList, ClubId=outside) == "Client.Forbidden"
    with uow_factory() as uow:
        assert {p.club_id for p in uow.session.scalars(select(Person))} == {inside}
