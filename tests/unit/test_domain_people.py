"""The save rules for one person, as pure functions: no database, no SOAP."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from partner_service.domain.errors import ValidationError
from partner_service.domain.fields import Gender, Status, UserType
from partner_service.domain.model import Person
from partner_service.domain.people import (
    PersonChanges,
    apply_changes,
    check_changes,
    check_insert,
    is_stale,
    utc_naive,
)

TODAY = date(2026, 11, 28)
NOW = datetime(2026, 11, 28, 12, 0, 0)


def check(values=None, to_null=(), user_type=UserType.PROSPECT):
    return check_changes(PersonChanges(values=values or {}, to_null=tuple(to_null)), user_type, NOW)


def refused_field(**kwargs) -> str:
    with pytest.raises(ValidationError) as caught:
        check(**kwargs)
    return caught.value.field


def test_values_come_back_by_attribute_name_with_enums_parsed():
    checked = check({"FirstName": "Pete", "Status": "Active", "Gender": "Female", "HomePhone": "555"})
    assert checked == {"first_name": "Pete", "status": Status.ACTIVE, "gender": Gender.FEMALE,
                       "home_phone": "555"}


def test_a_field_of_prospects_only_is_refused_for_a_member():
    assert refused_field(values={"LeadOwnerId": "1"}, user_type=UserType.MEMBER) == "LeadOwnerId"
    assert check({"LeadOwnerId": "1"}, user_type=UserType.PROSPECT) == {"lead_owner_id": "1"}


@pytest.mark.parametrize(("wire", "limit"), [("FirstName", 80), ("Address2", 200), ("Zipcode", 20),
                                             ("Email", 254), ("LeadSourceId", 20)])
def test_text_longer_than_its_limit_is_refused_naming_the_field(wire, limit):
    assert check({wire: "x" * limit})
    assert refused_field(values={wire: "x" * (limit + 1)}) == wire


def test_control_characters_are_refused_but_tabs_and_newlines_pass():
    assert refused_field(values={"City": "Spring\x00field"}) == "City"
    assert refused_field(values={"City": "Spring\x7ffield"}) == "City"
    assert check({"Address1": "1 Main St\nFlat 2\t"}) == {"address1": "1 Main St\nFlat 2\t"}


def test_blank_required_name_is_refused():
    assert refused_field(values={"LastName": "   "}) == "LastName"


def test_enum_outside_its_choices_is_refused_listing_the_choices():
    with pytest.raises(ValidationError) as caught:
        check({"Gender": "Robot"})
    assert caught.value.field == "Gender"
    assert "Male, Female, Other, Unspecified" in caught.value.message


def test_dates_and_datetimes_must_have_their_kind():
    assert refused_field(values={"BirthDate": NOW}) == "BirthDate"
    assert refused_field(values={"BirthDate": "1990-01-01"}) == "BirthDate"
    assert refused_field(values={"ModifiedDate": date(2026, 1, 1)}) == "ModifiedDate"


def test_datetimes_are_stored_as_naive_utc():
    cet = timezone(timedelta(hours=1))
    checked = check({"ModifiedDate": datetime(2026, 1, 1, 13, 30, tzinfo=cet)})
    assert checked["modified_date"] == datetime(2026, 1, 1, 12, 30)
    assert utc_naive(datetime(2026, 1, 1, 12, 30)) == datetime(2026, 1, 1, 12, 30)
    assert utc_naive(datetime(2026, 1, 1, 12, 30, tzinfo=UTC)).tzinfo is None


def test_birth_date_in_the_future_is_refused_today_is_fine():
    assert check({"BirthDate": TODAY}) == {"birth_date": TODAY}
    assert refused_field(values={"BirthDate": TODAY + timedelta(days=1)}) == "BirthDate"


@pytest.mark.parametrize("name", ["NoSuchField", "Id", "firstname"])
def test_fields_to_null_with_an_unknown_name_is_refused(name):
    assert refused_field(to_null=[name]) == "FieldsToNull"


@pytest.mark.parametrize("name", ["FirstName", "LastName"])
def test_fields_to_null_cannot_clear_a_required_field(name):
    with pytest.raises(ValidationError) as caught:
        check(to_null=[name])
    assert caught.value.field == "FieldsToNull"
    assert name in caught.value.message


def test_fields_to_null_of_a_prospect_field_on_a_member_is_refused():
    with pytest.raises(ValidationError) as caught:
        check(to_null=["TrialStartDate"], user_type=UserType.EX_MEMBER)
    assert caught.value.field == "FieldsToNull"
    assert "ExMember" in caught.value.message


def test_a_field_both_sent_and_cleared_is_refused():
    assert refused_field(values={"City": "Paris"}, to_null=["City"]) == "FieldsToNull"


def test_a_long_unknown_name_is_not_echoed_in_full():
    with pytest.raises(ValidationError) as caught:
        check(to_null=["A" * 500])
    assert "A" * 41 not in caught.value.message


def test_insert_needs_both_names():
    check_insert({"first_name": "Pete", "last_name": "Prospect"})
    for missing in ("first_name", "last_name"):
        values = {"first_name": "Pete", "last_name": "Prospect"}
        del values[missing]
        with pytest.raises(ValidationError) as caught:
            check_insert(values)
        assert caught.value.field == {"first_name": "FirstName", "last_name": "LastName"}[missing]


def make_person(**attrs) -> Person:
    person = Person(client_id=1, club_id=1, user_type=UserType.PROSPECT, now=NOW)
    for name, value in attrs.items():
        setattr(person, name, value)
    return person


def test_apply_keeps_what_was_left_out_and_clears_what_was_named():
    person = make_person(first_name="Pete", city="Paris", address2="Flat 2", email="p@x.org")
    apply_changes(person, {"first_name": "Peter"}, ("Address2",))
    stored = (person.first_name, person.city, person.address2, person.email)
    assert stored == ("Peter", "Paris", None, "p@x.org")


def test_trial_end_before_start_is_refused_even_when_only_one_is_sent():
    person = make_person(trial_start_date=date(2026, 5, 10))
    with pytest.raises(ValidationError) as caught:
        apply_changes(person, {"trial_end_date": date(2026, 5, 9)}, ())
    assert caught.value.field == "TrialEndDate"
    apply_changes(make_person(trial_start_date=date(2026, 5, 10)), {"trial_end_date": date(2026, 5, 10)}, ())


@pytest.mark.parametrize(("stored", "incoming", "stale"), [
    (NOW, NOW - timedelta(seconds=1), True),
    (NOW, NOW, False),
    (NOW, NOW + timedelta(seconds=1), False),
    (None, NOW, False),
    (NOW, None, False),
])
def test_only_an_older_modified_date_than_stored_is_stale(stored, incoming, stale):
    checked = {} if incoming is None else {"modified_date": incoming}
    assert is_stale(make_person(modified_date=stored), checked) is stale


def test_changing_type_records_history_and_same_type_does_not():
    person = make_person()
    later = NOW + timedelta(days=1)
    person.change_type(UserType.PROSPECT, later)
    person.change_type(UserType.MEMBER, later)
    person.change_type(UserType.EX_MEMBER, later)
    assert [(h.from_type, h.to_type) for h in person.type_history] == [
        (None, UserType.PROSPECT), (UserType.PROSPECT, UserType.MEMBER), (UserType.MEMBER, UserType.EX_MEMBER)]


def test_snapshot_tells_a_change_of_field_club_or_type():
    person = make_person(first_name="Pete")
    before = person.snapshot()
    assert person.snapshot() == before
    person.club_id = 2
    assert person.snapshot() != before


@pytest.mark.parametrize("external_id", ["", "   ", "x" * 101, "IT\x001"])
def test_a_blank_overlong_or_unprintable_external_id_is_refused(external_id):
    with pytest.raises(ValidationError) as caught:
        check_changes(PersonChanges(values={}, external_id=external_id), UserType.MEMBER, NOW)
    assert caught.value.field == "ExternalId"


def test_an_external_id_is_kept_exactly_as_sent():
    assert check_changes(PersonChanges(values={}, external_id=" IT-1"), UserType.MEMBER, NOW) == {}


@pytest.mark.parametrize("instant", [datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))),
                                     datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5)))])
def test_a_datetime_outside_the_utc_range_is_refused_not_a_crash(instant):
    assert refused_field(values={"CreatedDate": instant}) == "CreatedDate"


def test_a_modified_date_ahead_of_the_clock_is_refused_beyond_the_skew():
    """Issue 19 item 3: 9999-12-31 stored would make every later real update Stale."""
    cet = timezone(timedelta(hours=1))
    assert refused_field(values={"ModifiedDate": datetime(9999, 12, 31, tzinfo=UTC)}) == "ModifiedDate"
    ahead = (NOW + timedelta(minutes=6)).replace(tzinfo=UTC)
    assert refused_field(values={"ModifiedDate": ahead}) == "ModifiedDate"
    check({"ModifiedDate": (NOW + timedelta(minutes=4)).replace(tzinfo=UTC)})       # clock skew
    check({"ModifiedDate": (NOW + timedelta(hours=1, minutes=4)).replace(tzinfo=cet)})  # the same, in CET
    check({"ModifiedDate": NOW + timedelta(hours=14)})            # no zone: a local time east of UTC
    assert refused_field(values={"ModifiedDate": NOW + timedelta(hours=14, minutes=6)}) == "ModifiedDate"
