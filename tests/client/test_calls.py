"""The generated client against the real service: typed answers, typed faults, capabilities."""

from __future__ import annotations

import pytest
from partner_client import (
    Action,
    AuthenticationError,
    Forbidden,
    LeadSource,
    LeadSourceMode,
    NotFound,
    NotOffered,
    Prospect,
    Staff,
    Status,
    UserType,
    ValidationError,
)


def test_typed_calls_answer_generated_dataclasses(connect, world):
    client = connect()
    staff = client.get_staff_list()
    assert staff == [Staff(staff_id=world.staff_id, email="jstaff@club.com", first_name="John",
                           last_name="Staff", active=True, club_ids=list(world.acme_club_ids))]
    assert client.get_staff_by_email("  JStaff@Club.com ").staff_id == world.staff_id
    result = client.save_prospect(world.acme_club_ids[0], Prospect(
        external_id="c-1", first_name="Pete", last_name="Prospect", status=Status.ACTIVE,
        lead_owner_id=world.staff_id))
    assert (result.action, result.user_type) == (Action.INSERTED, UserType.PROSPECT)
    again = client.save_prospects(world.acme_club_ids[0], [Prospect(id=result.id, first_name="Pete")])
    assert [(r.id, r.action) for r in again] == [(result.id, Action.UNCHANGED)]


def test_faults_become_typed_exceptions_with_the_field(connect, world):
    client = connect()
    with pytest.raises(ValidationError) as caught:
        client.save_prospect(world.acme_club_ids[0],
                             Prospect(first_name="A", last_name="B", lead_owner_id="999"))
    assert caught.value.field == "LeadOwnerId"
    assert caught.value.code == "Client.Validation"
    with pytest.raises(NotFound):
        client.get_staff_by_email("nobody@club.com")
    with pytest.raises(Forbidden):
        client.save_prospect(world.other_club_ids[0], Prospect(first_name="A", last_name="B"))
    with pytest.raises(NotFound):
        client.save_member(world.acme_club_ids[0], Prospect(id="987654", first_name="A"))


def test_an_unknown_user_is_an_authentication_error(partner):
    from partner_client import PartnerClient

    client = PartnerClient.connect(partner(username="stranger"))
    with client, pytest.raises(AuthenticationError) as caught:
        client.get_lead_sources()
    assert caught.value.code == "FailedAuthentication"


def test_capabilities_come_from_the_partners_wsdl(connect):
    client = connect(operations=["GetLeadSources", "SaveProspect"])
    assert client.capabilities.operations == {"GetLeadSources", "SaveProspect"}
    assert client.capabilities.lead_source_mode is LeadSourceMode.LIST_ONLY
    assert client.capabilities.save_operations("Prospect") == (None, "SaveProspect")
    assert client.get_lead_sources() == []
    with pytest.raises(NotOffered):
        client.save_lead_source(LeadSource(name="Newspaper"))


def test_configured_operations_skip_reading_the_wsdl(partner, world):
    """With the operations in the settings, zeep runs on the bundled WSDL: no GET ?wsdl at all."""
    import dataclasses

    from partner_client import PartnerClient

    methods = []

    def recording(app):
        def record(environ, start_response):
            methods.append(environ["REQUEST_METHOD"])
            return app(environ, start_response)
        return record

    settings = dataclasses.replace(partner(["GetStaffList"], wrap=recording), operations=("GetStaffList",))
    with PartnerClient.connect(settings) as client:
        assert [s.staff_id for s in client.get_staff_list()] == [world.staff_id]
        with pytest.raises(NotOffered):
            client.get_lead_sources()
    assert methods == ["POST"]


def test_operations_beyond_the_contract_are_ignored():
    """A newer partner may publish more; the client knows only the contract's operations."""
    from partner_client import ConnectionSettings, PartnerClient
    from partner_client.ns import BUNDLED_WSDL

    from ..support import serve_in_thread

    extra = b'<wsdl:operation name="PurgeEverything"/>\n  </wsdl:portType>'
    wsdl = BUNDLED_WSDL.read_bytes().replace(b"</wsdl:portType>", extra)

    def partner_wsdl(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/xml")])
        return [wsdl]

    with serve_in_thread(partner_wsdl) as url:
        client = PartnerClient.connect(ConnectionSettings(url=f"{url}/soap", username="u", password="p"))
        with client:
            assert "PurgeEverything" not in client.capabilities.operations
            assert "SaveProspects" in client.capabilities.operations


def test_a_prepared_call_raises_faults_when_sent_and_makes_results_when_read(connect, world):
    client = connect()
    club = world.acme_club_ids[0]
    refused = client.prepare("SaveProspect", club, Prospect(first_name="A", last_name="B", lead_owner_id="999"))
    with pytest.raises(ValidationError) as caught:
        refused.send()
    assert caught.value.field == "LeadOwnerId"
    prospects = [Prospect(external_id=f"x-{n}", first_name="X", last_name=str(n)) for n in range(3)]
    answer = client.prepare("SaveProspects", club, prospects).send()
    results = answer.read()
    assert [(r.action, r.user_type) for r in results] == [(Action.INSERTED, UserType.PROSPECT)] * 3
    # Calling it is sending and reading at once, as the typed method does.
    again = client.prepare("SaveProspects", club, [Prospect(id=results[0].id, first_name="X")])()
    assert [(r.id, r.action) for r in again] == [(results[0].id, Action.UNCHANGED)]
