"""Service-layer rules over an in-memory unit of work: what is refused, what is committed."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from partner_service.domain.errors import Forbidden, NotFound, ValidationError
from partner_service.domain.fields import BATCH_MAX, Action, UserType
from partner_service.domain.model import Club, LeadSource, Principal, Staff
from partner_service.domain.people import PersonChanges
from partner_service.service_layer import lead_sources, people, staff

from ..support.fakes import FakeUnitOfWork

ACME, OTHER = 1, 2
PETE = {"FirstName": "Pete", "LastName": "Prospect"}


@pytest.fixture
def uow() -> FakeUnitOfWork:
    uow = FakeUnitOfWork()
    for client_id in (ACME, ACME, OTHER):
        uow.clubs.add(Club(client_id, "club"))
    uow.staff.add(Staff(ACME, "jstaff@club.com", "John", "Staff", clubs=[uow.clubs.items[1]]))
    uow.staff.add(Staff(OTHER, "ostaff@other.com", "Olga", "Staff", clubs=[uow.clubs.items[3]]))
    uow.lead_sources.add(LeadSource(ACME, "Web"))
    uow.lead_sources.add(LeadSource(OTHER, "Radio"))
    return uow


ACME_USER = Principal(ACME)


def save(uow, values=None, user_type=UserType.PROSPECT, club_id=1, principal=ACME_USER, **kwargs):
    test = kwargs.pop("test", False)
    changes = PersonChanges(values=dict(PETE if values is None else values), **kwargs)
    request = people.SaveRequest.single(principal, club_id, user_type, changes, test=test)
    return people.save_person(uow.people_store, request)


def refused(uow, error=ValidationError, **kwargs):
    with pytest.raises(error) as caught:
        save(uow, **kwargs)
    assert uow.people_store.commits == 0
    assert not uow.people_store.items
    return caught.value


def test_insert_is_committed_and_answers_the_new_id(uow):
    outcome = save(uow)
    commits = uow.people_store.commits
    assert (outcome.action, outcome.user_type, commits) == (Action.INSERTED, UserType.PROSPECT, 1)
    assert uow.people_store.items[int(outcome.id)].first_name == "Pete"


def test_insert_without_a_last_name_is_refused(uow):
    assert refused(uow, values={"FirstName": "Pete"}).field == "LastName"


def test_fields_to_null_with_a_required_name_is_refused(uow):
    assert refused(uow, to_null=("LastName",)).field == "FieldsToNull"


def test_a_club_of_another_client_is_forbidden(uow):
    refused(uow, error=Forbidden, club_id=3)
    refused(uow, error=Forbidden, club_id=999)


def test_a_club_outside_the_credentials_clubs_is_forbidden(uow):
    refused(uow, error=Forbidden, club_id=2, principal=Principal(ACME, club_ids=frozenset({1})))


@pytest.mark.parametrize(("wire", "other_clients_id"), [("LeadOwnerId", "2"), ("LeadSourceId", "2"),
                                                         ("LeadOwnerId", "nope")])
def test_lead_owner_and_source_of_another_client_are_refused_naming_the_field(uow, wire, other_clients_id):
    error = refused(uow, values={**PETE, wire: other_clients_id})
    assert error.field == wire


def test_own_lead_owner_and_source_are_stored_as_ids(uow):
    outcome = save(uow, values={**PETE, "LeadOwnerId": "1", "LeadSourceId": "1"})
    person = uow.people_store.items[int(outcome.id)]
    assert (person.lead_owner_id, person.lead_source_id) == (1, 1)


def test_unknown_id_is_not_found(uow):
    refused(uow, error=NotFound, id="12345")


def test_same_values_again_are_unchanged_and_not_committed(uow):
    first = save(uow, external_id="X1")
    again = save(uow, external_id="X1")
    assert (again.id, again.action, uow.people_store.commits) == (first.id, Action.UNCHANGED, 1)


def test_an_older_modified_date_is_stale_and_not_committed(uow):
    now = datetime(2026, 1, 2, 3, 4, 5)
    first = save(uow, values={**PETE, "ModifiedDate": now})
    late = save(uow, values={"FirstName": "Old", "ModifiedDate": now - timedelta(minutes=1)}, id=first.id)
    assert (late.id, late.action, uow.people_store.commits) == (first.id, Action.STALE, 1)
    assert uow.people_store.items[int(first.id)].first_name == "Pete"


def test_test_mode_validates_without_commit_and_gives_no_id_to_a_new_person(uow):
    outcome = save(uow, test=True)
    assert (outcome.id, outcome.action, uow.people_store.commits) == (None, Action.VALIDATED, 0)


def test_test_mode_of_an_update_answers_the_existing_id(uow):
    first = save(uow)
    outcome = save(uow, values={"City": "Paris"}, id=first.id, test=True)
    assert (outcome.id, outcome.action, uow.people_store.commits) == (first.id, Action.VALIDATED, 1)


def test_test_mode_still_refuses_what_is_invalid(uow):
    with pytest.raises(ValidationError):
        save(uow, values={"FirstName": "Pete"}, test=True)


def test_a_batch_holds_one_to_two_hundred_records(uow):
    for size in (0, BATCH_MAX + 1):
        with pytest.raises(ValidationError):
            people.save_people(uow.people_store, people.SaveRequest(ACME_USER, 1, UserType.PROSPECT,
                                                                    (PersonChanges(dict(PETE)),) * size))
    assert uow.people_store.commits == 0


@pytest.mark.parametrize("name", [None, "", "   ", "x" * 101, "bad\x00name"])
def test_lead_source_name_must_be_present_short_and_printable(uow, name):
    with pytest.raises(ValidationError) as caught:
        lead_sources.save_lead_source(uow, ACME_USER, None, name)
    assert caught.value.field == "Name"
    assert uow.commits == 0


def test_lead_source_of_the_same_trimmed_name_is_unchanged(uow):
    outcome = lead_sources.save_lead_source(uow, ACME_USER, None, "  WEB ")
    assert (outcome.id, outcome.action, uow.commits) == ("1", Action.UNCHANGED, 0)


def test_another_clients_lead_source_cannot_be_renamed(uow):
    with pytest.raises(NotFound):
        lead_sources.save_lead_source(uow, ACME_USER, "2", "Mine now")
    assert uow.lead_sources.items[2].name == "Radio"


def test_staff_by_blank_email_is_refused(uow):
    with pytest.raises(ValidationError) as caught:
        staff.staff_by_email(uow, ACME_USER, "  ")
    assert caught.value.field == "Email"


def test_staff_by_email_is_case_insensitive_and_scoped_to_the_client(uow):
    assert staff.staff_by_email(uow, ACME_USER, " JSTAFF@Club.com").id == "1"
    with pytest.raises(NotFound):
        staff.staff_by_email(uow, ACME_USER, "ostaff@other.com")


def test_staff_list_of_another_clients_club_is_forbidden(uow):
    with pytest.raises(Forbidden):
        staff.list_staff(uow, ACME_USER, 3)
    assert [v.id for v in staff.list_staff(uow, ACME_USER)] == ["1"]


def test_a_credential_limited_to_one_club_may_not_touch_a_person_of_another(uow):
    elsewhere = save(uow, club_id=2, external_id="X9")
    limited = Principal(ACME, club_ids=frozenset({1}))
    for key in ({"id": elsewhere.id}, {"external_id": "X9"}):
        with pytest.raises(Forbidden):
            save(uow, values={"City": "Moved"}, principal=limited, **key)
    assert uow.people_store.items[int(elsewhere.id)].club_id == 2


def test_a_batch_of_a_club_limited_credential_fails_the_records_of_another_club_alone(uow):
    elsewhere = save(uow, club_id=2, external_id="X9")
    limited = Principal(ACME, club_ids=frozenset({1}))
    outcomes = people.save_people(uow.people_store, people.SaveRequest(limited, 1, UserType.PROSPECT, (
        PersonChanges({"City": "Moved"}, id=elsewhere.id),
        PersonChanges({"City": "Moved"}, external_id="X9"),
        PersonChanges(dict(PETE), external_id="N1"))))
    assert [(o.action, o.error.code if o.error else None) for o in outcomes] == [
        (Action.FAILED, "Client.Forbidden"), (Action.FAILED, "Client.Forbidden"), (Action.INSERTED, None)]
    stored = uow.people_store.items[int(elsewhere.id)]
    assert (stored.club_id, stored.city) == (2, None)
