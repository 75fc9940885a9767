"""SaveProspects / SaveMembers / SaveExMembers over the wire: per-record results in input
order, a failure that stops nothing, AllOrNone that undoes everything, and the size limit."""

from __future__ import annotations

import copy

from lxml import etree

from ..support.operations import TNS, assert_fault, people_count, stored_person

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XML = {"Content-Type": "text/xml; charset=utf-8"}


def person(n: int, **extra) -> dict:
    return {"ExternalId": f"B-{n}", "FirstName": f"First{n}", "LastName": f"Last{n}", **extra}


def summary(results) -> list[tuple]:
    return [(r.Action, r.Error.Code if r.Error else None, r.Error.Field if r.Error else None) for r in results]


def test_results_come_in_input_order_and_one_failure_does_not_stop_the_others(acme, club, world, uow_factory):
    records = [person(1), {"FirstName": "NoLastName"}, person(3), person(4, LeadOwnerId=world.other_staff_id),
               {"Id": "999999", "City": "Nowhere"}, person(6)]
    results = acme.SaveProspects(ClubId=club, Prospects={"Prospect": records})
    assert summary(results) == [("Inserted", None, None), ("Failed", "Client.Validation", "LastName"),
                                ("Inserted", None, None), ("Failed", "Client.Validation", "LeadOwnerId"),
                                ("Failed", "Client.NotFound", None), ("Inserted", None, None)]
    saved = [results[i] for i in (0, 2, 5)]
    assert [stored_person(uow_factory, r.Id)["external_id"] for r in saved] == ["B-1", "B-3", "B-6"]
    assert all(r.UserType == "Prospect" for r in saved)
    assert people_count(uow_factory) == 3


def test_a_batch_follows_the_single_save_rules_per_record(acme, club, uow_factory):
    first = acme.SaveProspects(ClubId=club, Prospects={"Prospect": [person(1), person(2)]})
    again = acme.SaveProspects(ClubId=club, Prospects={"Prospect": [
        person(1), person(2, City="Hull"), {"Id": first[0].Id, "FieldsToNull": {"FieldName": ["Bogus"]}}]})
    assert summary(again) == [("Unchanged", None, None), ("Updated", None, None),
                              ("Failed", "Client.Validation", "FieldsToNull")]
    assert [r.Id for r in again[:2]] == [r.Id for r in first]
    assert stored_person(uow_factory, first[1].Id)["city"] == "Hull"
    assert people_count(uow_factory) == 2


def test_all_or_none_with_one_failure_saves_nothing_and_every_record_says_so(acme, club, uow_factory):
    existing = acme.SaveProspect(ClubId=club, Prospect=person(1))
    results = acme.SaveProspects(ClubId=club, AllOrNone=True, Prospects={"Prospect": [
        person(1, City="Changed"), person(2), {"FirstName": "NoLastName"}]})
    assert [r.Action for r in results] == ["Failed"] * 3
    assert all(r.Error is not None and r.Error.Message for r in results)
    assert (results[2].Error.Code, results[2].Error.Field) == ("Client.Validation", "LastName")
    assert {r.Error.Code for r in results[:2]} != {"Client.Validation"}
    assert people_count(uow_factory) == 1
    assert stored_person(uow_factory, existing.Id)["city"] is None


def test_all_or_none_without_failure_saves_everything(acme, club, uow_factory):
    results = acme.SaveProspects(ClubId=club, AllOrNone=True, Prospects={"Prospect": [person(1), person(2)]})
    assert [r.Action for r in results] == ["Inserted", "Inserted"]
    assert people_count(uow_factory) == 2


def test_more_than_two_hundred_records_are_refused_and_nothing_saved(soap_client, live_url, club, uow_factory):
    client = soap_client()
    # zeep refuses to send 201 itself (maxOccurs), so build 200 and add one in the XML.
    envelope = client.create_message(client.service, "SaveProspects", ClubId=club,
                                     Prospects={"Prospect": [person(n) for n in range(200)]})
    batch = envelope.find(f".//{{{TNS}}}Prospects")
    batch.append(copy.deepcopy(batch[0]))
    response = client.transport.post_xml(f"{live_url}/soap", envelope, XML)
    fault = etree.fromstring(response.content).find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault")
    assert fault.findtext("faultcode").endswith(":Client.Validation")
    assert people_count(uow_factory) == 0
    results = client.service.SaveProspects(ClubId=club, Prospects={"Prospect": [person(n) for n in range(200)]})
    assert len(results) == 200 and {r.Action for r in results} == {"Inserted"}
    assert people_count(uow_factory) == 200


def test_member_and_ex_member_batches_convert_by_external_id_keeping_ids(acme, club, uow_factory):
    prospects = acme.SaveProspects(ClubId=club, Prospects={"Prospect": [person(1), person(2)]})
    members = acme.SaveMembers(ClubId=club, Members={"Member": [{"ExternalId": "B-1"}, person(3)]})
    ex_members = acme.SaveExMembers(ClubId=club, ExMembers={"Member": [{"ExternalId": "B-1"},
                                                                       {"Id": prospects[1].Id}]})
    assert [(r.Id, r.Action, r.UserType) for r in members] == [
        (prospects[0].Id, "Updated", "Member"), (members[1].Id, "Inserted", "Member")]
    assert [(r.Id, r.UserType) for r in ex_members] == [(p.Id, "ExMember") for p in prospects]
    assert stored_person(uow_factory, prospects[0].Id)["history"] == [
        (None, "Prospect"), ("Prospect", "Member"), ("Member", "ExMember")]
    assert stored_person(uow_factory, prospects[1].Id)["history"] == [
        (None, "Prospect"), ("Prospect", "ExMember")]
    assert people_count(uow_factory) == 3


def test_a_batch_in_test_mode_writes_nothing(acme, club, uow_factory):
    results = acme.SaveMembers(ClubId=club, Test=True, Members={"Member": [person(1), {"FirstName": "X"}]})
    assert summary(results) == [("Validated", None, None), ("Failed", "Client.Validation", "LastName")]
    assert results[0].Id is None
    assert people_count(uow_factory) == 0


def test_a_batch_for_another_clients_club_is_forbidden(acme, world, uow_factory):
    assert_fault(acme.SaveMembers, "Client.Forbidden", ClubId=world.other_club_ids[0],
                 Members={"Member": [person(1)]})
    assert people_count(uow_factory) == 0
