"""Saves that arrive together share one commit; a rule refuses one alone; a lost race
re-runs each save of the group alone, so nothing is lost or stored twice (both engines)."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
from partner_service.adapters.orm import people, seen_nonces
from partner_service.domain.errors import Conflict, ValidationError
from partner_service.domain.fields import Action, UserType
from partner_service.domain.people import PersonChanges
from partner_service.service_layer.save_groups import SaveGroups
from sqlalchemy import event, func, select

UNTIL = datetime(2099, 1, 1)


def _admit(fail_first: bool = False):
    """Records a nonce of its own, as the authenticator's admission does; optionally raises a
    lost race (``Conflict``) the first time, after writing it."""
    key, calls = uuid.uuid4().hex, []

    def admit(uow):
        calls.append(1)
        assert uow.nonces.remember(key, UNTIL, datetime(2000, 1, 1))
        if fail_first and len(calls) == 1:
            raise Conflict("a concurrent save got in the way")
    return admit


def _count(engine, table) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar()


@pytest.mark.parametrize("lost_race", [False, True])
def test_a_group_commits_once_refuses_alone_and_reruns_alone_after_a_lost_race(
        engine, uow_factory, world, lost_race):
    groups = SaveGroups(uow_factory)
    commits = []
    event.listen(engine, "commit", lambda _connection: commits.append(1))
    gate = threading.Event()

    def first_admit(uow):  # keeps the first group busy until the next saves are waiting
        gate.wait(10)

    def save(external_id, values, admit):
        return groups.save(world.acme, world.acme_club_ids[0], UserType.PROSPECT,
                           PersonChanges(values, external_id=external_id), admit=admit)

    good = {"FirstName": "Gina", "LastName": "Group"}
    with ThreadPoolExecutor(5) as pool:
        first = pool.submit(save, "G0", good, first_admit)
        while not groups._writing:
            time.sleep(0.001)
        later = [pool.submit(save, "G1", good, _admit()),
                 pool.submit(save, "G2", {"FirstName": "NoLast"}, _admit()),   # refused by a rule
                 pool.submit(save, "G3", good, _admit(fail_first=lost_race)),
                 pool.submit(save, "G1", {**good, "City": "Rome"}, _admit())]
        while len(groups._waiting) < len(later):
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
    assert _count(engine, seen_nonces) == 4  # the refused save's nonce too


def test_saves_from_many_threads_are_each_answered_and_stored_once(engine, uow_factory, world):
    groups = SaveGroups(uow_factory)
    keys = [f"M{n % 10}" for n in range(40)]

    def save(key):
        return groups.save(world.acme, world.acme_club_ids[0], UserType.PROSPECT,
                           PersonChanges({"FirstName": "Many", "LastName": key}, external_id=key),
                           admit=_admit())

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(save, keys))
    assert sorted(o.action for o in outcomes) == sorted([Action.INSERTED] * 10 + [Action.UNCHANGED] * 30)
    assert len({o.id for o in outcomes}) == 10
    assert _count(engine, people) == 10 and _count(engine, seen_nonces) == 40
