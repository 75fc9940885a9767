"""The sandbox's magic values over fake save use cases: which code does what, in single saves
and batches, and that anything else passes through untouched."""

from __future__ import annotations

import pytest
from partner_service.domain.errors import Unavailable, ValidationError
from partner_service.domain.fields import Action, UserType
from partner_service.domain.people import PersonChanges
from partner_service.service_layer.magic_values import MagicValues, drop_requested, magic_code
from partner_service.service_layer.results import SaveOutcome


class FakeSaves:
    """Records what reached the real use case; answers Inserted (or what ``action`` says)."""

    def __init__(self, action: Action = Action.INSERTED):
        self.action = action
        self.seen: list[PersonChanges] = []

    def person(self, uow, principal, club_id, user_type, changes, test=False, admit=None) -> SaveOutcome:
        self.seen.append(changes)
        return SaveOutcome(id="7", action=self.action, user_type=user_type)

    def people(self, uow, principal, club_id, user_type, batch, all_or_none=False, test=False, admit=None):
        self.seen.extend(batch)
        return [SaveOutcome(id=str(n), action=self.action, user_type=user_type) for n, _ in enumerate(batch)]


def record(external_id: str | None = None, last_name: str = "Plain", id: str | None = None) -> PersonChanges:
    return PersonChanges(values={"FirstName": "F", "LastName": last_name}, external_id=external_id, id=id)


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def magic(sleeps):
    return MagicValues(sleep=sleeps.append)


def save_one(magic, fake, changes):
    return magic.person(fake.person)(None, None, 1, UserType.PROSPECT, changes)


def test_codes_are_read_from_external_id_or_last_name_in_any_case():
    assert magic_code(record("sandbox-unavailable")) == "UNAVAILABLE"
    assert magic_code(record(last_name="SANDBOX-Stale")) == "STALE"
    assert magic_code(record("INTOUCH-1", "Smith")) is None


def test_plain_records_pass_through(magic, sleeps):
    fake = FakeSaves()
    assert save_one(magic, fake, record("INTOUCH-1")).action is Action.INSERTED
    assert len(fake.seen) == 1 and sleeps == []


def test_unavailable_saves_nothing(magic):
    fake = FakeSaves()
    with pytest.raises(Unavailable):
        save_one(magic, fake, record("SANDBOX-UNAVAILABLE"))
    assert fake.seen == []


@pytest.mark.parametrize(("code", "field"), [("SANDBOX-INVALID-Email", "Email"),
                                             ("SANDBOX-INVALID-leadownerid", "LeadOwnerId"),
                                             ("SANDBOX-INVALID-Nonsense", "ExternalId")])
def test_invalid_names_the_field_and_saves_nothing(magic, code, field):
    fake = FakeSaves()
    with pytest.raises(ValidationError) as refused:
        save_one(magic, fake, record(last_name=code))
    assert refused.value.field == field and fake.seen == []


def test_stale_answers_stale_with_the_id_and_saves_nothing(magic):
    fake = FakeSaves()
    outcome = save_one(magic, fake, record(last_name="SANDBOX-STALE", id="42"))
    assert (outcome.action, outcome.id) == (Action.STALE, "42") and fake.seen == []


@pytest.mark.parametrize(("code", "delay"), [("SANDBOX-SLOW-3", 3), ("SANDBOX-SLOW", 40),
                                             ("SANDBOX-SLOW-999", 120)])
def test_slow_waits_then_saves(magic, sleeps, code, delay):
    fake = FakeSaves()
    assert save_one(magic, fake, record(code)).action is Action.INSERTED
    assert sleeps == [delay] and len(fake.seen) == 1


@pytest.mark.parametrize(("action", "dropped"), [(Action.INSERTED, True), (Action.UNCHANGED, False)])
def test_drop_marks_the_request_only_when_something_was_written(magic, action, dropped):
    token = drop_requested.set(False)
    try:
        save_one(magic, FakeSaves(action), record("SANDBOX-DROP"))
        assert drop_requested.get() is dropped
    finally:
        drop_requested.reset(token)


def test_a_batch_answers_each_record_and_saves_the_rest_in_order(magic, sleeps):
    fake = FakeSaves()
    batch = [record("a"), record(last_name="SANDBOX-INVALID-City"), record("SANDBOX-STALE", id="9"),
             record("SANDBOX-SLOW-2")]
    outcomes = magic.people(fake.people)(None, None, 1, UserType.MEMBER, batch)
    assert [o.action for o in outcomes] == [Action.INSERTED, Action.FAILED, Action.STALE, Action.INSERTED]
    assert (outcomes[1].error.code, outcomes[1].error.field) == ("Client.Validation", "City")
    assert outcomes[2].id == "9" and [c.external_id for c in fake.seen] == ["a", "SANDBOX-SLOW-2"]
    assert sleeps == [2]


def test_all_or_none_with_a_magic_failure_saves_nothing(magic):
    fake = FakeSaves()
    batch = [record("a"), record(last_name="SANDBOX-INVALID-City")]
    outcomes = magic.people(fake.people)(None, None, 1, UserType.MEMBER, batch, all_or_none=True)
    assert [(o.action, o.error.code) for o in outcomes] == [(Action.FAILED, "Client.RolledBack"),
                                                            (Action.FAILED, "Client.Validation")]
    assert fake.seen == []


def test_an_unavailable_record_refuses_the_whole_batch(magic):
    fake = FakeSaves()
    with pytest.raises(Unavailable):
        magic.people(fake.people)(None, None, 1, UserType.MEMBER, [record("a"), record("SANDBOX-UNAVAILABLE")])
    assert fake.seen == []
