"""A unit of work commits only when told to, undoes a savepoint alone, and says when the
database is down."""

from __future__ import annotations

import pytest
from partner_service.adapters.db import make_engine
from partner_service.domain.errors import Conflict, Unavailable
from partner_service.domain.fields import UserType
from partner_service.domain.model import Client, LeadSource, Person
from partner_service.service_layer.unit_of_work import SqlAlchemyUnitOfWork, session_factory
from sqlalchemy import func, select, text


def count(uow_factory, entity) -> int:
    with uow_factory() as uow:
        return uow.session.scalar(select(func.count()).select_from(entity))


def test_work_not_committed_is_rolled_back(uow_factory):
    with uow_factory() as uow:
        uow.clients.add(Client("Uncommitted"))
        uow.flush()
    assert count(uow_factory, Client) == 0


def test_committed_work_is_kept(uow_factory):
    with uow_factory() as uow:
        uow.clients.add(Client("Committed"))
        uow.commit()
    assert count(uow_factory, Client) == 1


def test_an_exception_inside_rolls_back_and_propagates(uow_factory):
    with pytest.raises(ZeroDivisionError), uow_factory() as uow:
        uow.clients.add(Client("Doomed"))
        uow.flush()
        1 / 0  # noqa: B018
    assert count(uow_factory, Client) == 0


def test_a_failed_savepoint_undoes_only_its_own_work(uow_factory, world):
    client_id = world.acme.client_id
    with uow_factory() as uow:
        uow.lead_sources.add(LeadSource(client_id, "Kept"))
        uow.flush()
        with pytest.raises(RuntimeError), uow.savepoint():
            uow.lead_sources.add(LeadSource(client_id, "Undone"))
            uow.flush()
            raise RuntimeError("undo me")
        uow.commit()
    with uow_factory() as uow:
        assert [s.name for s in uow.lead_sources.list(client_id)] == ["Kept"]


def test_a_unique_clash_inside_a_savepoint_leaves_the_transaction_usable(uow_factory, world):
    client_id, club_id = world.acme.client_id, world.acme_club_ids[0]
    with uow_factory() as uow:
        uow.people.add(Person(client_id, club_id, UserType.PROSPECT, _now(), external_id="X"))
        uow.flush()
        with pytest.raises(Conflict) as refused, uow.savepoint():
            uow.people.add(Person(client_id, club_id, UserType.PROSPECT, _now(), external_id="X"))
            uow.flush()
        assert "unique" in str(refused.value.__cause__).lower()
        uow.lead_sources.add(LeadSource(client_id, "After the clash"))
        uow.commit()
    assert count(uow_factory, Person) == 1
    assert count(uow_factory, LeadSource) == 1


def _now():
    from partner_service.service_layer.people import utcnow
    return utcnow()


def test_an_unreachable_database_is_unavailable_not_a_crash():
    engine = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/x")
    try:
        with pytest.raises(Unavailable) as caught, SqlAlchemyUnitOfWork(session_factory(engine)) as uow:
            uow.session.execute(text("SELECT 1"))
        assert caught.value.code == "Server.Unavailable"
        assert "127.0.0.1" not in caught.value.message
    finally:
        engine.dispose()


def test_a_read_only_unit_of_work_reads_and_refuses_to_write(engine, uow_factory, world):
    readers = session_factory(engine, read_only=True)
    with SqlAlchemyUnitOfWork(readers) as uow:
        assert [s.email for s in uow.staff.by_email(world.acme.client_id, "jstaff@club.com")]
        uow.lead_sources.add(LeadSource(world.acme.client_id, "Written by a reader"))
        with pytest.raises(RuntimeError, match="read-only"):
            uow.commit()
        with pytest.raises(RuntimeError, match="read-only"):
            uow.flush()
    if engine.dialect.name == "postgresql":  # and the database itself refuses it
        with pytest.raises(Exception, match="read-only transaction"), SqlAlchemyUnitOfWork(readers) as uow:
            uow.session.execute(text("INSERT INTO clients (name) VALUES ('reader')"))
    assert count(uow_factory, LeadSource) == 0
