"""Pushing people: linked owner and source or none, Ids remembered and resent, conversions,
batches or single saves by the partner's WSDL, one bad record failing alone."""

from __future__ import annotations

from partner_client import Action
from partner_client.push import Pusher
from partner_client.records import parse_record
from partner_client.sync import ConnectorLeadSource, ConnectorStaff, sync_lead_sources, sync_staff
from partner_service.service_layer import lead_sources

from .conftest import Recording


def records(club_id, *rows):
    return [parse_record(n, row, club_id) for n, row in enumerate(rows, 1)]


def test_prospects_carry_the_linked_owner_and_source_or_none(connect, links, world, uow_factory, stored):
    source = lead_sources.save_lead_source(uow_factory(), world.acme, None, "Newspaper")
    client = connect()
    sync_staff(client, links, [ConnectorStaff("1111", "jstaff@club.com"), ConnectorStaff("2222", "x@club.com")])
    sync_lead_sources(client, links, [ConnectorLeadSource("NEWSPAPER", "Newspaper")])
    report = Pusher(client, links).push(records(
        world.acme_club_ids[0],
        {"connector_id": "p1", "first_name": "Pete", "last_name": "Prospect", "owner_id": "1111",
         "lead_source_id": "NEWSPAPER", "trial_start_date": "2026-01-05"},
        {"connector_id": "p2", "first_name": "Pam", "last_name": "Prospect", "owner_id": "2222",
         "lead_source_id": "TV"},
        {"connector_id": "p3", "first_name": "Paul", "last_name": "Prospect"}))
    assert report.count(Action.INSERTED) == 3 and not report.failures
    assert (report.without_owner, report.without_source) == (1, 1)
    people = stored()
    assert str(people["p1"]["lead_owner_id"]) == world.staff_id
    assert str(people["p1"]["lead_source_id"]) == str(source.id)
    assert str(people["p1"]["trial_start_date"]) == "2026-01-05"
    assert people["p2"]["lead_owner_id"] is None and people["p2"]["lead_source_id"] is None
    assert people["p3"]["lead_owner_id"] is None


def test_the_returned_id_is_stored_and_sent_on_every_later_save(partner, links, world, stored):
    from partner_client import PartnerClient

    recording = {}

    def wrap(app):
        recording["app"] = Recording(app)
        return recording["app"]

    client = PartnerClient.connect(partner(wrap=wrap))
    club = world.acme_club_ids[0]
    first = Pusher(client, links).push(records(club, {"connector_id": "p1", "first_name": "Pete",
                                                      "last_name": "Prospect"}))
    assert first.count(Action.INSERTED) == 1
    partner_id = links.people(["p1"])["p1"].partner_id
    assert partner_id == str(stored()["p1"]["id"])
    second = Pusher(client, links).push(records(club, {"connector_id": "p1", "first_name": "Peter"}))
    assert second.count(Action.UPDATED) == 1
    assert f"Id>{partner_id}</".encode() in recording["app"].bodies[-1]
    assert b"ExternalId>p1</" in recording["app"].bodies[-1]
    assert stored()["p1"]["first_name"] == "Peter"
    client.close()


def test_a_prospect_becoming_member_then_ex_member_keeps_the_partner_id(connect, links, world, stored):
    client = connect()
    club = world.acme_club_ids[0]
    Pusher(client, links).push(records(club, {"connector_id": "p1", "first_name": "Pete", "last_name": "P"}))
    partner_id = links.people(["p1"])["p1"].partner_id
    for user_type, stored_type in (("member", "Member"), ("ex-member", "ExMember")):
        report = Pusher(client, links).push(records(club, {"connector_id": "p1", "user_type": user_type,
                                                           "status": "inactive"}))
        assert report.count(Action.UPDATED) == 1, report.failures
        link = links.people(["p1"])["p1"]
        assert (link.partner_id, link.user_type) == (partner_id, stored_type)
    assert len(stored()) == 1
    assert stored()["p1"]["user_type"] == "ExMember"


def test_single_saves_where_the_partner_has_no_batch_operation(partner, links, world, stored):
    from partner_client import PartnerClient

    holder = {}

    def wrap(app):
        holder["app"] = Recording(app)
        return holder["app"]

    client = PartnerClient.connect(partner(["SaveProspect", "SaveMember"], wrap=wrap))
    rows = [{"connector_id": f"p{n}", "first_name": "P", "last_name": str(n)} for n in range(5)]
    report = Pusher(client, links).push(records(world.acme_club_ids[0], *rows))
    assert report.count(Action.INSERTED) == 5
    assert len(holder["app"].bodies) == 5
    assert all(b"SaveProspect>" in body and b"SaveProspects" not in body for body in holder["app"].bodies)
    assert len(links.people(f"p{n}" for n in range(5))) == 5
    client.close()


def test_a_bad_record_fails_alone_with_its_reason(connect, links, world, stored):
    client = connect()
    report = Pusher(client, links).push(records(
        world.acme_club_ids[0],
        {"connector_id": "ok1", "first_name": "A", "last_name": "B"},
        {"connector_id": "nolast", "first_name": "A"},
        {"connector_id": "long", "first_name": "A" * 81, "last_name": "B"},
        {"connector_id": "baddate", "first_name": "A", "last_name": "B", "birth_date": "31/12/1990"},
        {"first_name": "no id"},
        {"connector_id": "ok2", "first_name": "C", "last_name": "D"}))
    assert report.count(Action.INSERTED) == 2
    failures = {f.connector_id: f for f in report.failures}
    assert set(failures) == {"nolast", "long", "baddate", None}
    assert (failures["nolast"].code, failures["nolast"].field) == ("Client.Validation", "LastName")
    assert failures["long"].field == "FirstName" and "80" in failures["long"].message
    assert failures["baddate"].reason == "BirthDate must be a date (YYYY-MM-DD)"
    assert failures["baddate"].field == "BirthDate"
    assert set(stored()) == {"ok1", "ok2"}
