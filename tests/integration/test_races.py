"""Retries of one save that race each other create one person, never two.

Real concurrent connections: eight threads, started together by a barrier, each with its
own unit of work, save the same ExternalId. On PostgreSQL the losers' inserts hit the
unique constraint; the test also proves that path ran by counting those clashes.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from partner_service.domain.fields import Action, UserType
from partner_service.domain.model import Person
from partner_service.domain.people import PersonChanges
from partner_service.service_layer.people import save_person
from sqlalchemy import event, exc, func, select

RACERS = 8


def race(uow_factory, world, external_id: str):
    barrier = threading.Barrier(RACERS)
    changes = PersonChanges(values={"FirstName": "Rita", "LastName": "Race"}, external_id=external_id)

    def one_save(_):
        barrier.wait()
        return save_person(uow_factory(), world.acme, world.acme_club_ids[0], UserType.PROSPECT, changes)

    with ThreadPoolExecutor(RACERS) as pool:
        return list(pool.map(one_save, range(RACERS)))


def test_racing_saves_of_one_external_id_make_one_person(engine, uow_factory, world):
    clashes = []
    event.listen(engine, "handle_error",
                 lambda ctx: clashes.append(1) if isinstance(ctx.sqlalchemy_exception, exc.IntegrityError)
                 else None)
    rounds = 0
    # Rounds until the losers' path (a unique clash) has run at least once on PostgreSQL;
    # SQLite takes its write lock up front (BEGIN IMMEDIATE), so there it never clashes.
    while rounds < 5 and (rounds == 0 or (engine.dialect.name == "postgresql" and not clashes)):
        rounds += 1
        outcomes = race(uow_factory, world, f"RACE-{rounds}")
        assert len({o.id for o in outcomes}) == 1
        actions = sorted(o.action for o in outcomes)
        assert actions == sorted([Action.INSERTED] + [Action.UNCHANGED] * (RACERS - 1))
        with uow_factory() as uow:
            stored = uow.session.scalars(select(Person).where(Person.external_id == f"RACE-{rounds}")).all()
            assert [str(p.id) for p in stored] == [outcomes[0].id]
            assert len(stored[0].type_history) == 1
    if engine.dialect.name == "postgresql":
        assert clashes, "no round raced: the unique-constraint path was never exercised"
    with uow_factory() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Person)) == rounds
