"""The save use cases' own rules over the in-memory store: nonces, retries, locks, Test.

``FakePeopleStore`` implements the port ``PeopleStore``; the first tests check that it and both
engines' stores carry exactly the port's operations, so the fake cannot drift from them.
"""

from __future__ import annotations

import inspect

import pytest
from partner_service.adapters.people_postgresql import PostgresPeopleStore, StatementWrites
from partner_service.adapters.people_rows import SessionWrites
from partner_service.adapters.people_sqlite import SqlitePeopleStore, WriterWrites
from partner_service.domain.errors import Conflict, SecurityRefused, ValidationError
from partner_service.domain.fields import Action, UserType
from partner_service.domain.model import Club, Principal
from partner_service.domain.people import PersonChanges
from partner_service.service_layer.people import (
    ATTEMPTS,
    PeopleStore,
    PeopleWrites,
    SaveRequest,
    record_nonce_alone,
    save_people,
    save_person,
)

from ..support.fakes import FakePeopleStore, FakePeopleWrites, FakeUnitOfWork
from ..support.nonces import Nonce

ACME = Principal(1)
PETE = {"FirstName": "Pete", "LastName": "Prospect"}


def _operations(protocol) -> dict[str, inspect.Signature]:
    return {name: inspect.signature(member) for name, member in vars(protocol).items()
            if callable(member) and not name.startswith("_")}


@pytest.mark.parametrize(("protocol", "implementation"), [
    (PeopleStore, FakePeopleStore), (PeopleStore, PostgresPeopleStore), (PeopleStore, SqlitePeopleStore),
    (PeopleWrites, FakePeopleWrites), (PeopleWrites, StatementWrites), (PeopleWrites, WriterWrites),
    (PeopleWrites, SessionWrites),
])
def test_every_store_and_its_writes_carry_the_ports_operations_with_their_parameters(protocol, implementation):
    for name, signature in _operations(protocol).items():
        mine = inspect.signature(getattr(implementation, name))
        assert list(mine.parameters) == list(signature.parameters), (implementation.__name__, name)


@pytest.fixture
def store() -> FakePeopleStore:
    uow = FakeUnitOfWork()
    uow.clubs.add(Club(1, "club"))
    return uow.people_store


def _save(store, values=None, nonce=None, test=False, user_type=UserType.PROSPECT, **keys):
    changes = PersonChanges(dict(PETE if values is None else values), **keys)
    return save_person(store, SaveRequest.single(ACME, 1, user_type, changes, test=test, nonce=nonce))


def test_a_new_person_by_external_id_is_one_insert_that_finds_no_one_then_one_commit(store):
    nonce = Nonce()
    outcome = _save(store, nonce=nonce, external_id="E1")
    assert outcome.action is Action.INSERTED
    assert store.attempts == [("run", ["record_nonce", "insert_unless_found", "load", "finish"])]
    assert store.commits == 1 and store.nonces == {nonce.key}
    assert [entry[1:3] for entry in store.history] == [(None, UserType.PROSPECT)]


def test_a_refused_save_records_its_nonce_and_nothing_else(store):
    nonce = Nonce()
    with pytest.raises(ValidationError):
        _save(store, values={"FirstName": "No Last Name"}, nonce=nonce, external_id="V1")
    assert store.rows == {} and store.nonces == {nonce.key} and store.commits == 1


def test_a_replayed_nonce_is_refused_before_any_rule_and_writes_nothing(store):
    nonce = Nonce()
    _save(store, nonce=nonce, external_id="R1")
    for values in (PETE, {"FirstName": "No Last Name"}):
        with pytest.raises(SecurityRefused):
            _save(store, values=values, nonce=Nonce(nonce.key), external_id="R2")
    assert [row["external_id"] for row in store.rows.values()] == ["R1"]


def test_a_test_save_checks_everything_and_writes_only_its_nonce(store):
    nonce = Nonce()
    outcome = _save(store, nonce=nonce, test=True, external_id="T1")
    assert (outcome.id, outcome.action) == (None, Action.VALIDATED)
    assert store.rows == {} and store.nonces == {nonce.key}
    with pytest.raises(ValidationError):
        _save(store, values={"FirstName": "No Last Name"}, test=True, external_id="T1")


def test_a_row_changed_before_the_write_is_planned_again_with_the_nonce_recorded_once(store):
    first = _save(store, external_id="C1")
    changes = iter(range(2))

    def meddle():  # another writer changes the person after this save's first read only
        if next(changes, None) == 0:
            store.rows[int(first.id)]["zipcode"] = "0150"
            store.versions[int(first.id)] += 1
    store.meddle = meddle
    nonce = Nonce()
    outcome = _save(store, values={"City": "Bergen"}, nonce=nonce, id=first.id)
    assert outcome.action is Action.UPDATED
    assert [kind for kind, _calls in store.attempts[1:]] == ["run", "run"]
    assert (store.rows[int(first.id)]["city"], store.rows[int(first.id)]["zipcode"]) == ("Bergen", "0150")
    assert store.nonces == {nonce.key}


def test_a_save_that_loses_every_optimistic_attempt_takes_the_locks_at_last(store):
    first = _save(store, external_id="K1")

    def meddle():
        store.versions[int(first.id)] += 1
    store.meddle = meddle
    outcome = _save(store, values={"City": "Bergen"}, id=first.id)
    store.meddle = None
    assert outcome.action is Action.UPDATED
    assert [kind for kind, _calls in store.attempts[1:]] == ["run"] * ATTEMPTS + ["locked"]


def test_a_lost_insert_race_is_tried_again(store, monkeypatch):
    lost = []
    run = store.run

    def losing_once(work):
        if not lost:
            lost.append(1)
            raise Conflict("a concurrent save got in the way")
        return run(work)
    monkeypatch.setattr(store, "run", losing_once)
    assert _save(store, external_id="L1").action is Action.INSERTED


def test_a_credential_due_for_bookkeeping_saves_under_the_locks_that_write_it(store):
    class Due(Nonce):
        needs_transaction = True

    assert _save(store, nonce=Due(), external_id="B1").action is Action.INSERTED
    assert [kind for kind, _calls in store.attempts] == ["locked"]


def test_a_conversion_keeps_the_id_and_adds_a_history_row_and_equal_values_are_unchanged(store):
    prospect = _save(store, external_id="M1")
    member = _save(store, values={}, user_type=UserType.MEMBER, external_id="M1")
    assert (member.id, member.action, member.user_type) == (prospect.id, Action.UPDATED, UserType.MEMBER)
    assert [entry[1:3] for entry in store.history] == [(None, UserType.PROSPECT),
                                                      (UserType.PROSPECT, UserType.MEMBER)]
    commits = store.commits
    assert _save(store, values={}, user_type=UserType.MEMBER, external_id="M1").action is Action.UNCHANGED
    assert store.commits == commits


def test_a_batch_is_one_locked_attempt_that_takes_turns_and_records_its_nonce(store):
    nonce = Nonce()
    records = (PersonChanges(dict(PETE), external_id="B1"), PersonChanges({"City": "Oslo"}, external_id="B1"))
    outcomes = save_people(store, SaveRequest(ACME, 1, UserType.PROSPECT, records, nonce=nonce))
    assert [o.action for o in outcomes] == [Action.INSERTED, Action.UPDATED]
    assert [(kind, calls[:2]) for kind, calls in store.attempts] == [("locked", ["record_nonce", "take_turns"])]
    assert store.nonces == {nonce.key} and store.commits == 1


def test_a_nonce_alone_is_recorded_for_a_request_refused_before_its_save(store):
    nonce = Nonce()
    record_nonce_alone(store, nonce)
    assert store.nonces == {nonce.key} and store.rows == {}
