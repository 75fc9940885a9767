"""Retries of one save that race each other create one record, never two.

Real concurrent connections: eight threads, started together by a barrier, each with its
own unit of work, save the same ExternalId (or lead source name). On PostgreSQL the
losers' inserts hit the unique constraint; the test also proves that path ran by
counting those clashes. Saves of people race through ``people.save_person`` over the app's
store (``app.people_store``: on PostgreSQL optimistic statements, where a row changed between
read and write is planned again), and over the same store with every save under locks.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime

import pytest
from partner_service.adapters import database_errors
from partner_service.app import people_store
from partner_service.domain.errors import ValidationError
from partner_service.domain.fields import Action, UserType
from partner_service.domain.model import Person
from partner_service.domain.people import PersonChanges
from partner_service.service_layer import people
from partner_service.service_layer.lead_sources import save_lead_source
from sqlalchemy import func, select

RACERS = 8
LOSERS = RACERS - 1


class _Locked:
    """The app's store with every save taken under the locks of a unit of work (the path a
    single save falls back to after losing every optimistic attempt)."""

    def __init__(self, store):
        self.store = store

    def run(self, work):
        return self.store.run_locked(work)

    def run_locked(self, work):
        return self.store.run_locked(work)


@pytest.fixture(params=["locked", "app"])
def save_person(request, engine, uow_factory):
    """``save(principal, club, user type, changes)`` through the app's store, or under locks."""
    store = people_store(engine, uow_factory)
    if request.param == "locked":
        store = _Locked(store)

    def save(principal, club_id, user_type, changes, test=False):
        request = people.SaveRequest.single(principal, club_id, user_type, changes, test)
        return people.save_person(store, request)
    return save


def together(save) -> list:
    """``save()`` in RACERS threads at once; their answers."""
    barrier = threading.Barrier(RACERS)

    def one(_):
        barrier.wait()
        return save()

    with ThreadPoolExecutor(RACERS) as pool:
        return list(pool.map(one, range(RACERS)))


def rounds_until_a_clash(engine, one_round, caplog) -> int:
    """Run ``one_round(n)`` until the losers' path (a unique clash; for PostgreSQL's single
    saves, an insert that finds the ExternalId taken meanwhile) has run at least once on
    PostgreSQL, at most five times; SQLite takes its write lock up front (BEGIN IMMEDIATE),
    so there racers queue and never clash. Returns the number of rounds."""
    losers = (database_errors.__name__, people.__name__)
    for logger in losers:
        caplog.set_level(logging.DEBUG, logger=logger)
    def clashes() -> list:  # the line of each transaction (or PostgreSQL save) that lost the race
        return [r for r in caplog.records if r.name in losers]

    rounds = 0
    while rounds == 0 or (engine.dialect.name == "postgresql" and not clashes() and rounds < 5):
        rounds += 1
        outcomes = one_round(rounds)
        assert len({o.id for o in outcomes}) == 1
        assert sorted(o.action for o in outcomes) == sorted([Action.INSERTED] + [Action.UNCHANGED] * LOSERS)
    assert engine.dialect.name == "sqlite" or clashes(), "no round raced: the unique-constraint path never ran"
    return rounds


def test_racing_saves_of_one_external_id_make_one_person(engine, uow_factory, world, caplog, save_person):
    changes = PersonChanges(values={"FirstName": "Rita", "LastName": "Race"})

    def one_round(n: int):
        race = replace(changes, external_id=f"RACE-{n}")
        outcomes = together(lambda: save_person(world.acme, world.acme_club_ids[0],
                                                UserType.PROSPECT, race))
        with uow_factory() as uow:
            stored = uow.session.scalars(select(Person).where(Person.external_id == race.external_id)).all()
            assert [str(p.id) for p in stored] == [outcomes[0].id]
            assert len(stored[0].type_history) == 1
        return outcomes

    rounds = rounds_until_a_clash(engine, one_round, caplog)
    with uow_factory() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Person)) == rounds


def test_racing_creations_of_one_lead_source_name_make_one_source(engine, uow_factory, world, caplog):
    def one_round(n: int):
        outcomes = together(lambda: save_lead_source(uow_factory(), world.acme, None, f" Walk-In {n} "))
        with uow_factory() as uow:
            assert uow.lead_sources.by_name(world.acme.client_id, f"walk-in {n}").id == int(outcomes[0].id)
        return outcomes

    rounds = rounds_until_a_clash(engine, one_round, caplog)
    with uow_factory() as uow:
        assert len(uow.lead_sources.list(world.acme.client_id)) == rounds


def test_racing_updates_of_one_person_leave_the_newest_modified_date(engine, uow_factory, world, save_person):
    """Check-then-write must be atomic: a save older than one that commits meanwhile is Stale,
    never written over it."""
    club = world.acme_club_ids[0]
    first = save_person(world.acme, club, UserType.MEMBER, PersonChanges(
        values={"FirstName": "v0", "LastName": "Race", "ModifiedDate": datetime(2026, 1, 1)}))

    def updates(day: int):
        stamps, lock = iter(range(RACERS)), threading.Lock()

        def update():
            with lock:
                n = next(stamps)
            values = {"FirstName": f"v{day}-{n}", "ModifiedDate": datetime(2026, 1, day, 0, n)}
            return save_person(world.acme, club, UserType.MEMBER,
                               PersonChanges(values=values, id=first.id))
        return update

    for day in (2, 3, 4):
        outcomes = together(updates(day))
        assert {o.action for o in outcomes} <= {Action.UPDATED, Action.STALE}
        with uow_factory() as uow:
            person = uow.people.get(world.acme.client_id, first.id)
            newest = (f"v{day}-{RACERS - 1}", datetime(2026, 1, day, 0, RACERS - 1))
            assert (person.first_name, person.modified_date) == newest


def test_racing_renames_to_one_name_leave_one_winner_and_refuse_the_others(engine, uow_factory, world):
    sources = [save_lead_source(uow_factory(), world.acme, None, f"Source {n}").id for n in range(RACERS)]
    ids, lock = iter(sources), threading.Lock()

    def rename():
        with lock:
            source_id = next(ids)
        try:
            return save_lead_source(uow_factory(), world.acme, source_id, "Same").action
        except ValidationError as error:
            return error.field

    assert sorted(together(rename)) == sorted([Action.UPDATED] + ["Name"] * LOSERS)
    with uow_factory() as uow:
        names = sorted(s.name for s in uow.lead_sources.list(world.acme.client_id))
    assert names.count("Same") == 1 and len(names) == RACERS


def test_racing_claims_of_one_external_id_by_id_leave_one_owner(engine, uow_factory, world, save_person):
    club = world.acme_club_ids[0]
    existing = [save_person(world.acme, club, UserType.MEMBER,
                            PersonChanges(values={"FirstName": f"P{n}", "LastName": "Claim"})).id
                for n in range(RACERS)]
    ids, lock = iter(existing), threading.Lock()

    def claim():
        with lock:
            person_id = next(ids)
        try:
            return save_person(world.acme, club, UserType.MEMBER,
                               PersonChanges(values={}, id=person_id, external_id="CLAIMED")).action
        except ValidationError as error:
            return error.field

    assert sorted(together(claim)) == sorted([Action.UPDATED] + ["ExternalId"] * LOSERS)
    with uow_factory() as uow:
        assert uow.people.by_external_id(world.acme.client_id, "CLAIMED").id in {int(i) for i in existing}
