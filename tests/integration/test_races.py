"""Retries of one save that race each other create one record, never two.

Real concurrent connections: eight threads, started together by a barrier, each with its
own unit of work, save the same ExternalId (or lead source name). On PostgreSQL the
losers' inserts hit the unique constraint; the test also proves that path ran by
counting those clashes.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from partner_service.domain.fields import Action, UserType
from partner_service.domain.model import Person
from partner_service.domain.people import PersonChanges
from partner_service.service_layer.lead_sources import save_lead_source
from partner_service.service_layer.people import save_person
from sqlalchemy import event, exc, func, select

RACERS = 8
LOSERS = RACERS - 1


def together(save) -> list:
    """``save()`` in RACERS threads at once; their answers."""
    barrier = threading.Barrier(RACERS)

    def one(_):
        barrier.wait()
        return save()

    with ThreadPoolExecutor(RACERS) as pool:
        return list(pool.map(one, range(RACERS)))


def rounds_until_a_clash(engine, one_round) -> int:
    """Run ``one_round(n)`` until the losers' path (a unique clash) has run at least once on
    PostgreSQL, at most five times; SQLite takes its write lock up front (BEGIN IMMEDIATE),
    so there racers queue and never clash. Returns the number of rounds."""
    clashes = []
    event.listen(engine, "handle_error",
                 lambda ctx: clashes.append(1) if isinstance(ctx.sqlalchemy_exception, exc.IntegrityError)
                 else None)
    rounds = 0
    while rounds == 0 or (engine.dialect.name == "postgresql" and not clashes and rounds < 5):
        rounds += 1
        outcomes = one_round(rounds)
        assert len({o.id for o in outcomes}) == 1
        assert sorted(o.action for o in outcomes) == sorted([Action.INSERTED] + [Action.UNCHANGED] * LOSERS)
    assert engine.dialect.name == "sqlite" or clashes, "no round raced: the unique-constraint path never ran"
    return rounds


def test_racing_saves_of_one_external_id_make_one_person(engine, uow_factory, world):
    changes = PersonChanges(values={"FirstName": "Rita", "LastName": "Race"})

    def one_round(n: int):
        race = replace(changes, external_id=f"RACE-{n}")
        outcomes = together(lambda: save_person(uow_factory(), world.acme, world.acme_club_ids[0],
                                                UserType.PROSPECT, race))
        with uow_factory() as uow:
            stored = uow.session.scalars(select(Person).where(Person.external_id == race.external_id)).all()
            assert [str(p.id) for p in stored] == [outcomes[0].id]
            assert len(stored[0].type_history) == 1
        return outcomes

    rounds = rounds_until_a_clash(engine, one_round)
    with uow_factory() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Person)) == rounds


def test_racing_creations_of_one_lead_source_name_make_one_source(engine, uow_factory, world):
    def one_round(n: int):
        outcomes = together(lambda: save_lead_source(uow_factory(), world.acme, None, f" Walk-In {n} "))
        with uow_factory() as uow:
            assert uow.lead_sources.by_name(world.acme.client_id, f"walk-in {n}").id == int(outcomes[0].id)
        return outcomes

    rounds = rounds_until_a_clash(engine, one_round)
    with uow_factory() as uow:
        assert len(uow.lead_sources.list(world.acme.client_id)) == rounds
