"""SaveProspect / SaveMember / SaveExMember over the wire: every save rule of the contract,
checked in the answer and in what is stored."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from ..support.operations import PETE, TNS, assert_fault, people_count, stored_person


def test_insert_stores_the_person_and_answers_its_id(acme, club, uow_factory):
    result = acme.SaveProspect(ClubId=club, Prospect={**PETE, "ExternalId": "IT-1", "Gender": "Male",
                                                      "BirthDate": date(1990, 5, 1), "City": "Leeds"})
    assert (result.Action, result.UserType) == ("Inserted", "Prospect")
    stored = stored_person(uow_factory, result.Id)
    assert (stored["first_name"], stored["last_name"], stored["city"]) == ("Pete", "Prospect", "Leeds")
    assert (stored["gender"], stored["birth_date"], stored["external_id"]) == ("Male", date(1990, 5, 1), "IT-1")
    assert (stored["club_id"], stored["user_type"]) == (club, "Prospect")
    assert stored["history"] == [(None, "Prospect")]


def test_insert_without_a_required_name_is_refused_and_nothing_stored(acme, club, uow_factory):
    assert_fault(acme.SaveProspect, "Client.Validation", "LastName", ClubId=club, Prospect={"FirstName": "P"})
    assert people_count(uow_factory) == 0


def test_update_by_id_changes_what_was_sent_and_keeps_what_was_left_out(acme, club, uow_factory):
    first = acme.SaveProspect(ClubId=club, Prospect={**PETE, "Address1": "1 Main St", "Address2": "Flat 2",
                                                     "Email": "pete@example.org"})
    second = acme.SaveProspect(ClubId=club, Prospect={"Id": first.Id, "City": "York", "FirstName": "Peter"})
    assert (second.Id, second.Action) == (first.Id, "Updated")
    stored = stored_person(uow_factory, first.Id)
    assert (stored["first_name"], stored["last_name"], stored["city"]) == ("Peter", "Prospect", "York")
    kept = (stored["address1"], stored["address2"], stored["email"])
    assert kept == ("1 Main St", "Flat 2", "pete@example.org")
    assert people_count(uow_factory) == 1


def test_an_unknown_id_or_another_clients_id_is_not_found(soap_client, acme, club, world, uow_factory):
    theirs = soap_client("other").service.SaveProspect(ClubId=world.other_club_ids[0], Prospect=PETE)
    for unknown in ("999999", theirs.Id, "abc"):
        assert_fault(acme.SaveProspect, "Client.NotFound", ClubId=club, Prospect={"Id": unknown, "City": "X"})
    assert stored_person(uow_factory, theirs.Id)["city"] is None
    assert people_count(uow_factory) == 1


def test_external_id_upserts_without_a_duplicate(acme, club, uow_factory):
    first = acme.SaveProspect(ClubId=club, Prospect={**PETE, "ExternalId": "IT-7"})
    second = acme.SaveProspect(ClubId=club, Prospect={**PETE, "ExternalId": "IT-7", "City": "Hull"})
    assert (first.Action, second.Action, second.Id) == ("Inserted", "Updated", first.Id)
    assert stored_person(uow_factory, first.Id)["city"] == "Hull"
    assert people_count(uow_factory) == 1


def test_a_blank_external_id_is_refused_rather_than_merging_people(acme, club, uow_factory):
    acme.SaveProspect(ClubId=club, Prospect={**PETE, "ExternalId": "IT-20"})
    for blank in ("", "  "):
        assert_fault(acme.SaveProspect, "Client.Validation", "ExternalId", ClubId=club,
                     Prospect={"FirstName": "Other", "LastName": "Person", "ExternalId": blank})
    assert people_count(uow_factory) == 1


def test_an_external_id_of_another_person_cannot_be_taken_by_id(acme, club, uow_factory):
    first = acme.SaveProspect(ClubId=club, Prospect={**PETE, "ExternalId": "IT-21"})
    second = acme.SaveProspect(ClubId=club, Prospect={**PETE, "ExternalId": "IT-22"})
    assert_fault(acme.SaveProspect, "Client.Validation", "ExternalId", ClubId=club,
                 Prospect={"Id": second.Id, "ExternalId": "IT-21"})
    assert stored_person(uow_factory, second.Id)["external_id"] == "IT-22"
    moved = acme.SaveProspect(ClubId=club, Prospect={"Id": first.Id, "ExternalId": "IT-23"})
    assert moved.Action == "Updated"
    assert stored_person(uow_factory, first.Id)["external_id"] == "IT-23"


def test_the_same_external_id_in_another_client_is_another_person(soap_client, acme, club, world):
    mine = acme.SaveProspect(ClubId=club, Prospect={**PETE, "ExternalId": "IT-8"})
    theirs = soap_client("other").service.SaveProspect(ClubId=world.other_club_ids[0],
                                                       Prospect={**PETE, "ExternalId": "IT-8"})
    assert theirs.Action == "Inserted" and theirs.Id != mine.Id


def test_fields_to_null_clears_the_named_fields(acme, club, uow_factory):
    first = acme.SaveProspect(ClubId=club, Prospect={**PETE, "Address2": "Flat 2", "Gender": "Other",
                                                     "BirthDate": date(1990, 1, 1), "City": "Bath"})
    result = acme.SaveProspect(ClubId=club, Prospect={"Id": first.Id, "FieldsToNull": {
        "FieldName": ["Address2", "BirthDate", "Gender"]}})
    assert result.Action == "Updated"
    stored = stored_person(uow_factory, first.Id)
    assert (stored["address2"], stored["birth_date"], stored["gender"]) == (None, None, None)
    assert stored["city"] == "Bath"


@pytest.mark.parametrize(("name", "why"), [("Bogus", "unknown"), ("FirstName", "required"),
                                           ("LeadOwnerId", "a member has none")])
def test_fields_to_null_with_an_unknown_or_required_name_is_refused(acme, club, uow_factory, name, why):
    first = acme.SaveMember(ClubId=club, Member={**PETE, "City": "Bath"})
    fault = assert_fault(acme.SaveMember, "Client.Validation", "FieldsToNull", ClubId=club,
                         Member={"Id": first.Id, "City": "Wells", "FieldsToNull": {"FieldName": [name]}})
    # A known field is named; an unknown name is the caller's text and is never repeated.
    assert (name in fault.message) == (why != "unknown"), why
    assert stored_person(uow_factory, first.Id)["city"] == "Bath"


def test_the_same_save_again_is_unchanged_and_writes_nothing(acme, club, uow_factory):
    record = {**PETE, "ExternalId": "IT-9", "City": "Bath",
              "ModifiedDate": datetime(2026, 1, 5, 9, 30, 0, 123456, tzinfo=UTC)}
    first = acme.SaveProspect(ClubId=club, Prospect=record)
    before = stored_person(uow_factory, first.Id)
    again = acme.SaveProspect(ClubId=club, Prospect=record)
    by_id = acme.SaveProspect(ClubId=club, Prospect={"Id": first.Id, "City": "Bath"})
    assert [(r.Id, r.Action) for r in (again, by_id)] == [(first.Id, "Unchanged")] * 2
    assert stored_person(uow_factory, first.Id) == before


def test_an_older_modified_date_is_stale_and_writes_nothing(acme, club, uow_factory):
    stamp = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    first = acme.SaveProspect(ClubId=club, Prospect={**PETE, "ExternalId": "IT-10", "ModifiedDate": stamp})
    before = stored_person(uow_factory, first.Id)
    late = acme.SaveProspect(ClubId=club, Prospect={"ExternalId": "IT-10", "FirstName": "Old",
                                                    "ModifiedDate": stamp - timedelta(seconds=1)})
    assert (late.Id, late.Action) == (first.Id, "Stale")
    assert stored_person(uow_factory, first.Id) == before
    newer = acme.SaveProspect(ClubId=club, Prospect={"Id": first.Id, "FirstName": "New",
                                                     "ModifiedDate": stamp + timedelta(seconds=1)})
    assert newer.Action == "Updated"
    assert stored_person(uow_factory, first.Id)["first_name"] == "New"


def test_modified_dates_compare_as_instants_whatever_their_offset(acme, club, uow_factory):
    stamp = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    first = acme.SaveProspect(ClubId=club, Prospect={**PETE, "ModifiedDate": stamp})
    paris = timezone(timedelta(hours=1))
    earlier_in_paris = datetime(2026, 3, 1, 12, 30, tzinfo=paris)  # 11:30 UTC
    late = acme.SaveProspect(ClubId=club, Prospect={"Id": first.Id, "City": "Paris",
                                                    "ModifiedDate": earlier_in_paris})
    assert late.Action == "Stale"
    later_in_paris = datetime(2026, 3, 1, 13, 30, tzinfo=paris)  # 12:30 UTC
    newer = acme.SaveProspect(ClubId=club, Prospect={"Id": first.Id, "City": "Paris",
                                                     "ModifiedDate": later_in_paris})
    assert newer.Action == "Updated"
    assert stored_person(uow_factory, first.Id)["modified_date"] == datetime(2026, 3, 1, 12, 30)


def test_test_mode_validates_and_writes_nothing(acme, club, uow_factory):
    new = acme.SaveProspect(ClubId=club, Prospect=PETE, Test=True)
    assert (new.Action, new.Id) == ("Validated", None)
    assert people_count(uow_factory) == 0
    first = acme.SaveProspect(ClubId=club, Prospect=PETE)
    before = stored_person(uow_factory, first.Id)
    update = acme.SaveMember(ClubId=club, Member={"Id": first.Id, "City": "Ely"}, Test=True)
    assert (update.Action, update.Id) == ("Validated", first.Id)
    assert stored_person(uow_factory, first.Id) == before
    assert_fault(acme.SaveProspect, "Client.Validation", "FirstName", ClubId=club,
                 Prospect={"FirstName": " ", "LastName": "X"}, Test=True)


def test_prospect_becomes_member_then_ex_member_keeping_its_id_with_history(acme, club, uow_factory):
    prospect = acme.SaveProspect(ClubId=club, Prospect={**PETE, "ExternalId": "IT-11"})
    member = acme.SaveMember(ClubId=club, Member={"Id": prospect.Id})
    ex_member = acme.SaveExMember(ClubId=club, ExMember={"ExternalId": "IT-11", "Status": "Inactive"})
    assert [(r.Id, r.Action, r.UserType) for r in (member, ex_member)] == [
        (prospect.Id, "Updated", "Member"), (prospect.Id, "Updated", "ExMember")]
    stored = stored_person(uow_factory, prospect.Id)
    assert (stored["user_type"], stored["status"]) == ("ExMember", "Inactive")
    assert stored["history"] == [(None, "Prospect"), ("Prospect", "Member"), ("Member", "ExMember")]
    assert people_count(uow_factory) == 1


def test_saving_with_another_club_of_the_client_moves_the_person(acme, world, uow_factory):
    home, away = world.acme_club_ids
    first = acme.SaveMember(ClubId=home, Member=PETE)
    moved = acme.SaveMember(ClubId=away, Member={"Id": first.Id})
    assert (moved.Id, moved.Action) == (first.Id, "Updated")
    assert stored_person(uow_factory, first.Id)["club_id"] == away


def test_a_club_of_another_client_is_forbidden_and_nothing_stored(acme, world, uow_factory):
    first = acme.SaveMember(ClubId=world.acme_club_ids[0], Member=PETE)
    for save in ({"FirstName": "New", "LastName": "Person"}, {"Id": first.Id, "City": "Away"}):
        assert_fault(acme.SaveMember, "Client.Forbidden", ClubId=world.other_club_ids[0], Member=save)
    fault = assert_fault(acme.SaveMember, "Client.Forbidden", ClubId=424242, Member=PETE)
    detail = fault.detail.find(f"{{{TNS}}}FaultDetail")  # the declared detail: the code, no field
    assert (detail.findtext(f"{{{TNS}}}Code"), detail.find(f"{{{TNS}}}Field")) == ("Client.Forbidden", None)
    assert people_count(uow_factory) == 1
    assert stored_person(uow_factory, first.Id)["club_id"] == world.acme_club_ids[0]


@pytest.mark.parametrize("wire", ["LeadOwnerId", "LeadSourceId"])
def test_lead_owner_or_source_of_another_client_is_refused_naming_the_field(soap_client, acme, club, world,
                                                                            uow_factory, wire):
    other = soap_client("other").service
    theirs = {"LeadOwnerId": world.other_staff_id,
              "LeadSourceId": other.SaveLeadSource(LeadSource={"Name": "Radio"}).Id}[wire]
    fault = assert_fault(acme.SaveProspect, "Client.Validation", wire, ClubId=club,
                         Prospect={**PETE, wire: theirs})
    assert wire in fault.message
    assert people_count(uow_factory) == 0


def test_own_lead_owner_and_source_are_stored_and_may_be_cleared(acme, club, world, uow_factory):
    source = acme.SaveLeadSource(LeadSource={"Name": "Web"}).Id
    first = acme.SaveProspect(ClubId=club, Prospect={**PETE, "LeadOwnerId": world.staff_id,
                                                     "LeadSourceId": source, "TrialStartDate": date(2026, 6, 1),
                                                     })
    stored = stored_person(uow_factory, first.Id)
    assert (stored["lead_owner_id"], stored["lead_source_id"]) == (int(world.staff_id), int(source))
    acme.SaveProspect(ClubId=club, Prospect={"Id": first.Id, "FieldsToNull": {"FieldName": ["LeadOwnerId"]}})
    stored = stored_person(uow_factory, first.Id)
    assert (stored["lead_owner_id"], stored["lead_source_id"]) == (None, int(source))
    assert_fault(acme.SaveProspect, "Client.Validation", "TrialEndDate", ClubId=club,
                 Prospect={"Id": first.Id, "TrialEndDate": date(2026, 5, 31)})


@pytest.mark.parametrize(("field", "value"), [
    ("FirstName", "x" * 81), ("Gender", "Robot"), ("BirthDate", "not-a-date"),
    ("BirthDate", date(2999, 1, 1)), ("CreatedDate", datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))))])
def test_a_bad_value_is_a_validation_fault_naming_the_field(acme, club, uow_factory, field, value):
    assert_fault(acme.SaveProspect, "Client.Validation", field, ClubId=club, Prospect={**PETE, field: value})
    assert people_count(uow_factory) == 0
