"""Saves that arrive together share one commit; a rule refuses one alone; a lost race
re-runs each save of the group alone, so nothing is lost or stored twice.

SQLite only: saves are grouped for its single writer (``SqlitePeopleStore``); PostgreSQL
writes single saves in parallel (test_statement_saves.py)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
from partner_service.adapters import people_sqlite
from partner_service.adapters.orm import people, seen_nonces
from partner_service.adapters.people_sqlite import SqlitePeopleStore
from partner_service.domain.errors import Conflict, ValidationError
from partner_service.domain.fields import Action, UserType
from partner_service.domain.people import PersonChanges
from partner_service.service_layer.people import SaveRequest, save_person
from sqlalchemy import func, select

from ..support.nonces import Nonce

UNTIL = datetime(2099, 1, 1)


@pytest.fixture
def database_url(tmp_path):
    return f"sqlite:///{tmp_path / 'partner.sqlite3'}"


class GatedNonce(Nonce):
    """A nonce of its own. ``fail_first`` raises a lost race (``Conflict``) the first time it
    is read, inside the group; ``gate`` holds its save (and so its group) until set; ``held``
    is set once it waits there."""

    def __init__(self, fail_first: bool = False, gate: threading.Event | None = None):
        super().__init__(until=UNTIL, now=datetime(2000, 1, 1))
        self.calls, self.fail_first, self.gate = 0, fail_first, gate
        self.held = threading.Event()

    def database_nonce(self):
        self.calls += 1
        if self.gate is not None:
            self.held.set()
            self.gate.wait(10)
        if self.fail_first and self.calls == 1:
            raise Conflict("a concurrent save got in the way")
        return super().database_nonce()


@pytest.fixture
def commits(monkeypatch) -> list:
    """Each write transaction of the SQLite store that commits, appended."""
    counted: list = []
    exit_transaction = people_sqlite._WriterTransaction.__exit__

    def counting_exit(self, exc_type, exc, tb):
        exit_transaction(self, exc_type, exc, tb)
        if exc is None:
            counted.append(1)
    monkeypatch.setattr(people_sqlite._WriterTransaction, "__exit__", counting_exit)
    return counted


def _saving(store, world):
    def save(external_id, values, nonce):
        return save_person(store, SaveRequest.single(world.acme, world.acme_club_ids[0], UserType.PROSPECT,
                                                     PersonChanges(values, external_id=external_id),
                                                     nonce=nonce))
    return save


def _count(engine, table) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar()


@pytest.mark.parametrize("lost_race", [False, True])
def test_a_group_commits_once_refuses_alone_and_reruns_alone_after_a_lost_race(
        engine, uow_factory, world, lost_race, commits):
    groups = SqlitePeopleStore(engine, uow_factory)
    gate = threading.Event()
    save = _saving(groups, world)

    good = {"FirstName": "Gina", "LastName": "Group"}
    with ThreadPoolExecutor(5) as pool:
        held = GatedNonce(gate=gate)
        first = pool.submit(save, "G0", good, held)  # its group is written until the gate opens
        assert held.held.wait(10)
        later = [pool.submit(save, "G1", good, GatedNonce()),
                 pool.submit(save, "G2", {"FirstName": "NoLast"}, GatedNonce()),   # refused by a rule
                 pool.submit(save, "G3", good, GatedNonce(fail_first=lost_race)),
                 pool.submit(save, "G1", {**good, "City": "Rome"}, GatedNonce())]
        deadline = time.monotonic() + 10
        while len(groups._waiting) < len(later):  # the next group, waiting for the first
            assert time.monotonic() < deadline, "the later saves did not queue behind the first group"
            time.sleep(0.001)
        before = len(commits)
        gate.set()
        assert first.result(10).action is Action.INSERTED
        answers = []
        for future in later:
            try:
                answers.append(future.result(10).action)
            except ValidationError as error:
                answers.append(error.field)
    assert answers == [Action.INSERTED, "LastName", Action.INSERTED, Action.UPDATED]
    # The first group's commit, then one for the four (or, after the lost race, one each).
    assert len(commits) - before == (5 if lost_race else 2)
    with engine.connect() as connection:
        stored = connection.execute(select(people.c.external_id, people.c.city).order_by(people.c.id)).all()
    assert stored == [("G0", None), ("G1", "Rome"), ("G3", None)]
    assert _count(engine, seen_nonces) == 5  # the refused save's nonce too


def test_saves_from_many_threads_are_each_answered_and_stored_once(engine, uow_factory, world):
    save_one = _saving(SqlitePeopleStore(engine, uow_factory), world)
    keys = [f"M{n % 10}" for n in range(40)]

    def save(key):
        return save_one(key, {"FirstName": "Many", "LastName": key}, GatedNonce())

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(save, keys))
    assert sorted(o.action for o in outcomes) == sorted([Action.INSERTED] * 10 + [Action.UNCHANGED] * 30)
    assert len({o.id for o in outcomes}) == 10
    assert _count(engine, people) == 10 and _count(engine, seen_nonces) == 40
