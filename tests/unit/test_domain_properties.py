"""Properties of the save rules over arbitrary input: a bad value is always a ValidationError
naming a field (never a crash), and saving the same values twice changes nothing."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from partner_service.domain.errors import ValidationError
from partner_service.domain.fields import DATE, DATETIME, ENUM, PROSPECT_FIELDS, UserType
from partner_service.domain.model import Person
from partner_service.domain.people import PersonChanges, apply_changes, check_changes

NOW = datetime(2026, 11, 28, 12)
WIRE_NAMES = [f.wire for f in PROSPECT_FIELDS]


def value_for(spec):
    if spec.kind == ENUM:
        return st.one_of(st.sampled_from([c.value for c in spec.choices]), st.text(max_size=10))
    if spec.kind == DATE:
        return st.one_of(st.dates(), st.datetimes(), st.text(max_size=5))
    if spec.kind == DATETIME:
        return st.one_of(st.datetimes(timezones=st.timezones()), st.dates())
    return st.text(max_size=(spec.max_length or 50) + 3)


person_values = st.fixed_dictionaries({}, optional={spec.wire: value_for(spec) for spec in PROSPECT_FIELDS})
user_types = st.sampled_from(list(UserType))


@settings(max_examples=150, deadline=None)
@given(person_values, st.lists(st.sampled_from(WIRE_NAMES + ["Bogus", ""]), max_size=3), user_types)
def test_any_input_is_accepted_or_refused_naming_a_field(values, to_null, user_type):
    try:
        checked = check_changes(PersonChanges(values=values, to_null=tuple(to_null)), user_type, NOW)
    except ValidationError as error:
        assert error.field in WIRE_NAMES + ["FieldsToNull"]
        assert error.message
        return
    assert all(not isinstance(v, datetime) or v.tzinfo is None for v in checked.values())


@settings(max_examples=100, deadline=None)
@given(person_values, user_types)
def test_saving_the_same_values_twice_changes_nothing_the_second_time(values, user_type):
    try:
        checked = check_changes(PersonChanges(values=values), user_type, NOW)
        person = Person(1, 1, user_type, datetime(2026, 1, 1))
        apply_changes(person, checked, ())
    except ValidationError:
        return
    before = person.snapshot()
    apply_changes(person, check_changes(PersonChanges(values=values), user_type, NOW), ())
    assert person.snapshot() == before
