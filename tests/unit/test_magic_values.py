"""The sandbox's magic values over fake save use cases: which code does what, in single saves
and batches, and that anything else passes through untouched."""

from __future__ import annotations

import contextlib

import pytest
from partner_service.domain.errors import Unavailable, ValidationError
from partner_service.domain.fields import Action, UserType
from partner_service.domain.people import PersonChanges
from partner_service.service_layer.magic_values import MagicValues, drop_requested, magic_code
from partner_service.service_layer.people import SaveRequest
from partner_service.service_layer.results import SaveOutcome


class FakeSaves:
    """The save use cases as the wrapper sees them (a store and a ``SaveRequest`` in): records
    what reached them; answers Inserted (or what ``action`` says)."""

    def __init__(self, action: Action = Action.INSERTED):
        self.action = action
        self.seen: list[PersonChanges] = []

    def person(self, store, request: SaveRequest) -> SaveOutcome:
        self.seen.extend(request.records)
        return SaveOutcome(id="7", action=self.action, user_type=request.user_type)

    def people(self, store, request: SaveRequest) -> list[SaveOutcome]:
        self.seen.extend(request.records)
        return [SaveOutcome(id=str(n), action=self.action, user_type=request.user_type)
                for n, _ in enumerate(request.records)]


class NonceStore:
    """A ``PeopleStore`` that only records nonces (what the wrapper writes when it answers itself)."""

    def __init__(self):
        self.recorded: list = []

    def run(self, work):
        return work(self)

    run_locked = run

    def record_nonce(self, nonce) -> None:
        self.recorded.append(nonce)

    def finish(self) -> None:
        pass


class Nonce:
    needs_transaction = False


def record(external_id: str | None = None, last_name: str = "Plain", id: str | None = None) -> PersonChanges:
    return PersonChanges(values={"FirstName": "F", "LastName": last_name}, external_id=external_id, id=id)


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def magic(sleeps):
    return MagicValues(sleep=sleeps.append)


def save_one(magic, fake, changes, store=None, nonce=None):
    request = SaveRequest.single(None, 1, UserType.PROSPECT, changes, nonce=nonce)
    return magic.person(fake.person)(store or NonceStore(), request)


def save_batch(magic, fake, batch, all_or_none=False, store=None, nonce=None):
    request = SaveRequest(None, 1, UserType.MEMBER, tuple(batch), all_or_none=all_or_none, nonce=nonce)
    return magic.people(fake.people)(store or NonceStore(), request)


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
    outcomes = save_batch(magic, fake, batch)
    assert [o.action for o in outcomes] == [Action.INSERTED, Action.FAILED, Action.STALE, Action.INSERTED]
    assert (outcomes[1].error.code, outcomes[1].error.field) == ("Client.Validation", "City")
    assert outcomes[2].id == "9" and [c.external_id for c in fake.seen] == ["a", "SANDBOX-SLOW-2"]
    assert sleeps == [2]


def test_all_or_none_with_a_magic_failure_saves_nothing(magic):
    fake = FakeSaves()
    batch = [record("a"), record(last_name="SANDBOX-INVALID-City")]
    outcomes = save_batch(magic, fake, batch, all_or_none=True)
    assert [(o.action, o.error.code) for o in outcomes] == [(Action.FAILED, "Client.RolledBack"),
                                                            (Action.FAILED, "Client.Validation")]
    assert fake.seen == []


def test_an_unavailable_record_refuses_the_whole_batch(magic):
    fake = FakeSaves()
    with pytest.raises(Unavailable):
        save_batch(magic, fake, [record("a"), record("SANDBOX-UNAVAILABLE")])
    assert fake.seen == []


def test_what_the_sandbox_answers_itself_still_records_the_nonce(magic):
    """A refusal or a Stale answered by the wrapper records the token's nonce, as the use case
    would, so the message cannot be replayed; a plain save leaves that to the use case."""
    for code in ("SANDBOX-INVALID-Email", "SANDBOX-STALE"):
        store, nonce = NonceStore(), Nonce()
        with contextlib.suppress(ValidationError):
            save_one(magic, FakeSaves(), record(last_name=code, id="3"), store, nonce)
        assert store.recorded == [nonce], code
    store = NonceStore()
    save_one(magic, FakeSaves(), record("INTOUCH-1"), store, Nonce())
    assert store.recorded == []
    store, nonce = NonceStore(), Nonce()
    save_batch(magic, FakeSaves(), [record(last_name="SANDBOX-STALE", id="4")], store=store, nonce=nonce)
    assert store.recorded == [nonce]
