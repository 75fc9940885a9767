"""Fixtures: every database test runs on a SQLite file and on PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from partner_service.adapters import migrate
from partner_service.adapters.db import make_engine
from partner_service.adapters.orm import start_mappers
from partner_service.domain.model import Principal
from partner_service.service_layer import tenants
from partner_service.service_layer.unit_of_work import SqlAlchemyUnitOfWork, session_factory

from .support import postgres_database

start_mappers()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'partner.sqlite3'}"
    else:
        with postgres_database() as url:
            yield url


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def uow_factory(engine):
    sessions = session_factory(engine)
    return lambda: SqlAlchemyUnitOfWork(sessions)


@dataclass
class World:
    """Two tenants: ``acme`` with two clubs, staff and a lead source; ``other`` with one club."""

    acme: Principal
    acme_club_ids: tuple[int, ...]
    other: Principal
    other_club_ids: tuple[int, ...]
    staff_id: str
    other_staff_id: str


@pytest.fixture
def world(uow_factory) -> World:
    acme = tenants.create_client(uow_factory(), "Acme Fitness", 2)
    other = tenants.create_client(uow_factory(), "Other Gyms", 1)
    staff = tenants.add_staff(uow_factory(), acme.id, "jstaff@club.com", "John", "Staff")
    other_staff = tenants.add_staff(uow_factory(), other.id, "ostaff@other.com", "Olga", "Staff")
    return World(Principal(acme.id, username="acme"), acme.club_ids,
                 Principal(other.id, username="other"), other.club_ids,
                 staff.id, other_staff.id)
