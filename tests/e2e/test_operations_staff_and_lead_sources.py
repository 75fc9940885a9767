"""GetStaffList, GetStaffByEmail, GetLeadSources and SaveLeadSource over the wire."""

from __future__ import annotations

from partner_service.service_layer import tenants

from ..support.operations import assert_fault, lead_source_names


def staff_ids(answer) -> list[str]:
    return [s.StaffId for s in answer or []]


def test_staff_list_without_club_is_every_staff_of_the_client_only(acme, world, uow_factory):
    home, away = world.acme_club_ids
    away_only = tenants.add_staff(uow_factory(), world.acme.client_id, "away@club.com", "Ann", "Away", [away])
    answer = acme.GetStaffList()
    assert staff_ids(answer) == [world.staff_id, away_only.id]
    john = answer[0]
    assert (john.Email, john.FirstName, john.LastName) == ("jstaff@club.com", "John", "Staff")
    assert john.Active is True
    assert john.ClubIds.ClubId == [home, away]


def test_staff_list_of_one_club_is_the_staff_of_that_club(acme, world, uow_factory):
    home, away = world.acme_club_ids
    away_only = tenants.add_staff(uow_factory(), world.acme.client_id, "away@club.com", "Ann", "Away", [away])
    assert staff_ids(acme.GetStaffList(ClubId=home)) == [world.staff_id]
    assert staff_ids(acme.GetStaffList(ClubId=away)) == [world.staff_id, away_only.id]


def test_staff_list_of_another_clients_club_is_forbidden(acme, world):
    assert_fault(acme.GetStaffList, "Client.Forbidden", ClubId=world.other_club_ids[0])


def test_staff_by_email_ignores_case_and_surrounding_blanks(acme, world):
    found = acme.GetStaffByEmail(Email=" JStaff@CLUB.com ")
    assert (found.StaffId, found.Email) == (world.staff_id, "jstaff@club.com")


def test_staff_by_unknown_or_another_clients_email_is_not_found(acme):
    for email in ("nobody@club.com", "ostaff@other.com"):
        assert_fault(acme.GetStaffByEmail, "Client.NotFound", Email=email)


def test_staff_by_an_email_two_staff_share_is_refused_as_ambiguous(acme, world, uow_factory):
    tenants.add_staff(uow_factory(), world.acme.client_id, "JSTAFF@club.com", "Jane", "Twin")
    assert_fault(acme.GetStaffByEmail, "Client.Validation", "Email", Email="jstaff@club.com")


def test_lead_sources_are_listed_per_client(acme, soap_client):
    assert acme.GetLeadSources() in (None, [])
    web = acme.SaveLeadSource(LeadSource={"Name": "Web", "ExternalId": "LS-1"})
    soap_client("other").service.SaveLeadSource(LeadSource={"Name": "Radio"})
    listed = acme.GetLeadSources()
    assert [(s.LeadSourceId, s.Name, s.ExternalId) for s in listed] == [(web.Id, "Web", "LS-1")]


def test_save_lead_source_creates_then_answers_the_same_trimmed_name_unchanged(acme, world, uow_factory):
    created = acme.SaveLeadSource(LeadSource={"Name": " Walk-in "})
    assert (created.Action, created.UserType) == ("Inserted", None)
    again = acme.SaveLeadSource(LeadSource={"Name": "WALK-IN"})
    assert (again.Id, again.Action) == (created.Id, "Unchanged")
    assert lead_source_names(uow_factory, world.acme.client_id) == ["Walk-in"]


def test_save_lead_source_with_its_id_renames_it(acme, world, uow_factory):
    created = acme.SaveLeadSource(LeadSource={"Name": "Web"})
    renamed = acme.SaveLeadSource(LeadSource={"LeadSourceId": created.Id, "Name": "Website"})
    assert (renamed.Id, renamed.Action) == (created.Id, "Updated")
    same = acme.SaveLeadSource(LeadSource={"LeadSourceId": created.Id, "Name": "Website"})
    assert same.Action == "Unchanged"
    assert lead_source_names(uow_factory, world.acme.client_id) == ["Website"]


def test_renaming_to_another_sources_name_is_refused(acme, world, uow_factory):
    web = acme.SaveLeadSource(LeadSource={"Name": "Web"})
    acme.SaveLeadSource(LeadSource={"Name": "Radio"})
    assert_fault(acme.SaveLeadSource, "Client.Validation", "Name",
                 LeadSource={"LeadSourceId": web.Id, "Name": " radio"})
    assert lead_source_names(uow_factory, world.acme.client_id) == ["Web", "Radio"]


def test_renaming_an_unknown_or_another_clients_source_is_not_found(acme, soap_client, world, uow_factory):
    theirs = soap_client("other").service.SaveLeadSource(LeadSource={"Name": "Radio"})
    for source_id in (theirs.Id, "987654"):
        assert_fault(acme.SaveLeadSource, "Client.NotFound",
                     LeadSource={"LeadSourceId": source_id, "Name": "X"})
    assert lead_source_names(uow_factory, world.other.client_id) == ["Radio"]


def test_save_lead_source_without_a_name_is_refused(acme, world, uow_factory):
    assert_fault(acme.SaveLeadSource, "Client.Validation", "Name", LeadSource={"ExternalId": "LS-9"})
    assert lead_source_names(uow_factory, world.acme.client_id) == []


def test_save_lead_source_in_test_mode_writes_nothing(acme, world, uow_factory):
    validated = acme.SaveLeadSource(LeadSource={"Name": "Web"}, Test=True)
    assert (validated.Id, validated.Action) == (None, "Validated")
    web = acme.SaveLeadSource(LeadSource={"Name": "Web"})
    rename = acme.SaveLeadSource(LeadSource={"LeadSourceId": web.Id, "Name": "Website"}, Test=True)
    assert (rename.Id, rename.Action) == (web.Id, "Validated")
    assert lead_source_names(uow_factory, world.acme.client_id) == ["Web"]
