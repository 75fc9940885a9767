"""Staff and lead source linking against the real service, in every mode a partner allows.

Seed: "Staff Synchronization", "Lead Source Synchronization"; contract: "What the
Connector does with it".
"""

from __future__ import annotations

import pytest
from partner_client.sync import ConnectorLeadSource, ConnectorStaff, Outcome, sync_lead_sources, sync_staff
from partner_service.service_layer import lead_sources, tenants

STAFF_OPS = {"list": ["GetStaffList", "SaveProspect"], "by-email": ["GetStaffByEmail", "SaveProspect"]}


@pytest.mark.parametrize("lookup", ["list", "by-email"])
def test_staff_link_by_email_ignoring_case_and_spaces(connect, links, world, uow_factory, lookup):
    client = connect(STAFF_OPS[lookup])
    before = len(client.get_staff_list()) if lookup == "list" else None
    items = sync_staff(client, links, [ConnectorStaff("1111", "  JSTAFF@Club.com "),
                                       ConnectorStaff("2222", "nobody@club.com")])
    assert [(i.connector_id, i.outcome, i.partner_id) for i in items] == [
        ("1111", Outcome.LINKED, world.staff_id), ("2222", Outcome.UNMATCHED, None)]
    assert links.staff("1111") == world.staff_id
    assert links.staff("2222") is None
    again = sync_staff(client, links, [ConnectorStaff("1111", "jstaff@club.com")])
    assert again[0].outcome is Outcome.UNCHANGED
    if before is not None:  # the Connector never creates staff
        assert len(client.get_staff_list()) == before


@pytest.mark.parametrize("lookup", ["list", "by-email"])
def test_two_partner_staff_with_one_email_are_ambiguous_and_unlinked(connect, links, world, uow_factory,
                                                                    lookup):
    client = connect(STAFF_OPS[lookup])
    assert sync_staff(client, links, [ConnectorStaff("1111", "jstaff@club.com")])[0].outcome is Outcome.LINKED
    tenants.add_staff(uow_factory(), world.acme.client_id, "JStaff@club.com ", "Jane", "Staff")
    items = sync_staff(client, links, [ConnectorStaff("1111", "jstaff@club.com")])
    assert items[0].outcome is Outcome.AMBIGUOUS
    assert "share this email" in items[0].message
    assert links.staff("1111") is None


def test_no_staff_operation_links_nothing(connect, links):
    client = connect(["SaveProspect"])
    items = sync_staff(client, links, [ConnectorStaff("1111", "jstaff@club.com")])
    assert items[0].outcome is Outcome.UNMATCHED
    assert links.staff("1111") is None


def _names(client):
    return sorted(s.name for s in client.get_lead_sources())


def test_list_and_create_matches_then_creates(connect, links, world, uow_factory):
    lead_sources.save_lead_source(uow_factory(), world.acme, None, "Newspaper")
    client = connect()
    items = sync_lead_sources(client, links, [ConnectorLeadSource("NEWSPAPER", " newspaper "),
                                              ConnectorLeadSource("RADIO", "Radio")])
    assert [(i.connector_id, i.outcome) for i in items] == [("NEWSPAPER", Outcome.LINKED),
                                                            ("RADIO", Outcome.CREATED)]
    assert _names(client) == ["Newspaper", "Radio"]
    assert links.lead_source("RADIO")[0] == items[1].partner_id


def test_list_only_fails_a_source_the_partner_lacks(connect, links, world, uow_factory):
    lead_sources.save_lead_source(uow_factory(), world.acme, None, "Newspaper")
    client = connect(["GetLeadSources", "SaveProspect"])
    items = sync_lead_sources(client, links, [ConnectorLeadSource("NEWSPAPER", "NEWSPAPER"),
                                              ConnectorLeadSource("RADIO", "Radio")])
    assert [(i.connector_id, i.outcome) for i in items] == [("NEWSPAPER", Outcome.LINKED),
                                                            ("RADIO", Outcome.FAILED)]
    assert "cannot create" in items[1].message
    assert links.lead_source("RADIO") is None
    # A rename cannot be sent: the link stays, the partner's name stays.
    renamed = sync_lead_sources(client, links, [ConnectorLeadSource("NEWSPAPER", "Daily Paper")])
    assert renamed[0].outcome is Outcome.NOT_RENAMED
    assert _names(client) == ["Newspaper"]


def test_create_only_saves_and_renames(connect, links, world, uow_factory):
    lead_sources.save_lead_source(uow_factory(), world.acme, None, "Newspaper")
    client = connect(["SaveLeadSource", "SaveProspect"])
    items = sync_lead_sources(client, links, [ConnectorLeadSource("NEWSPAPER", "newspaper"),
                                              ConnectorLeadSource("RADIO", "Radio")])
    assert [(i.connector_id, i.outcome) for i in items] == [("NEWSPAPER", Outcome.LINKED),
                                                            ("RADIO", Outcome.CREATED)]
    renamed = sync_lead_sources(client, links, [ConnectorLeadSource("RADIO", "Radio 1"),
                                                ConnectorLeadSource("NEWSPAPER", "newspaper")])
    assert [i.outcome for i in renamed] == [Outcome.RENAMED, Outcome.UNCHANGED]
    lister = connect(["GetLeadSources"])
    assert _names(lister) == ["Newspaper", "Radio 1"]
