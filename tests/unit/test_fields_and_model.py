"""The field table, tenant scoping of a principal, lead-source names and ID parsing."""

from __future__ import annotations

import pytest
from partner_service.adapters.repository import parse_id
from partner_service.domain.fields import (
    ALL_FIELDS,
    PERSON_FIELDS,
    PROSPECT_FIELDS,
    UserType,
    fields_for,
)
from partner_service.domain.model import LeadSource, Principal, Staff, lead_source_key


def test_the_contract_person_fields_in_contract_order():
    assert [f.wire for f in PERSON_FIELDS] == [
        "FirstName", "LastName", "Status", "BirthDate", "Gender", "Address1", "Address2", "City",
        "Zipcode", "State", "Country", "Mobile", "HomePhone", "WorkPhone", "Email", "Company",
        "CreatedDate", "CreatedBy", "ModifiedDate", "ModifiedBy"]
    assert [f.wire for f in PROSPECT_FIELDS[len(PERSON_FIELDS):]] == [
        "LeadOwnerId", "LeadSourceId", "TrialStartDate", "TrialEndDate"]


def test_wire_and_attribute_names_are_unique():
    assert len(ALL_FIELDS) == len(PROSPECT_FIELDS)
    assert len({f.attr for f in PROSPECT_FIELDS}) == len(PROSPECT_FIELDS)


def test_only_the_names_are_required_and_everything_else_clearable():
    assert {f.wire for f in PROSPECT_FIELDS if not f.clearable} == {"FirstName", "LastName"}


def test_every_text_field_has_a_length_limit():
    assert all(f.max_length for f in PROSPECT_FIELDS if f.kind in ("text", "reference"))


def test_prospects_have_their_own_fields_members_and_ex_members_not():
    assert fields_for(UserType.PROSPECT) == PROSPECT_FIELDS
    assert fields_for(UserType.MEMBER) == fields_for(UserType.EX_MEMBER) == PERSON_FIELDS


def test_a_principal_without_club_list_may_use_every_club():
    assert Principal(client_id=1).may_use_club(99)


def test_a_principal_with_clubs_may_use_those_only():
    principal = Principal(client_id=1, club_ids=frozenset({3, 4}))
    assert principal.may_use_club(3) and principal.may_use_club(4)
    assert not principal.may_use_club(5)


@pytest.mark.parametrize(("a", "b"), [("Web", "web"), ("  Web Site ", "web site"), ("Walk\tIn", "walk in"),
                                      ("STRASSE", "strasse")])
def test_lead_source_names_match_case_insensitively_and_trimmed(a, b):
    assert lead_source_key(a) == lead_source_key(b)


def test_different_lead_source_names_do_not_match():
    assert lead_source_key("Web") != lead_source_key("Website")


def test_a_lead_source_keeps_its_name_trimmed_and_rename_updates_the_key():
    source = LeadSource(1, "  Walk-in  ")
    assert (source.name, source.name_key) == ("Walk-in", "walk-in")
    source.rename("Referral ")
    assert (source.name, source.name_key) == ("Referral", "referral")


def test_staff_email_is_trimmed():
    assert Staff(1, " a@b.org ", "A", "B").email == "a@b.org"


@pytest.mark.parametrize(("value", "expected"), [
    ("42", 42), (42, 42), (" 7 ", 7), ("0", None), ("-3", None), ("abc", None), ("", None),
    (None, None), ("1.5", None), ("9" * 19, None), ("9" * 18, int("9" * 18)), ("٣", None)])
def test_parse_id_accepts_positive_integers_only(value, expected):
    assert parse_id(value) == expected
