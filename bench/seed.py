"""A fresh database per engine for one bench run, with a tenant, a club and its staff."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

from cryptography.fernet import Fernet
from partner_service.adapters import migrate
from partner_service.adapters.db import make_engine
from partner_service.adapters.orm import staff, staff_clubs, start_mappers
from partner_service.adapters.secrets import SecretKeeper
from partner_service.service_layer import tenants
from partner_service.service_layer.credentials import add_credential
from partner_service.service_layer.unit_of_work import SqlAlchemyUnitOfWork, session_factory
from sqlalchemy import insert, select

from harness.databases import postgres_database

PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@contextmanager
def database(kind: str, workdir: Path):
    """A SQLite file in ``workdir``, or a PostgreSQL database created now and dropped after."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'bench.sqlite3'}"
        return
    with postgres_database(PG_ADMIN_URL, prefix="partner_bench") as url:
        yield url


def seed(url: str, staff: int) -> dict:
    """Migrate, then create the bench tenant with one club and ``staff`` staff members.

    Answers what the load needs: the club, the credential, and environment for the app.
    """
    start_mappers()
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        sessions = session_factory(engine)
        client = tenants.create_client(SqlAlchemyUnitOfWork(sessions), "Bench Fitness", 1)
        club_id = client.club_ids[0]
        _add_staff(engine, client.id, club_id, staff)
        key = Fernet.generate_key()
        issued = add_credential(SqlAlchemyUnitOfWork(sessions), SecretKeeper(key), client.id, username="bench")
        return {"client_id": client.id, "club_id": club_id, "username": "bench", "password": issued.password,
                "env": {"PARTNER_SECRET_KEY": key.decode()}}
    finally:
        engine.dispose()


def _add_staff(engine, client_id: int, club_id: int, count: int) -> None:
    with engine.begin() as connection:
        connection.execute(insert(staff), [
            {"client_id": client_id, "email": f"staff{n}@bench.example", "first_name": f"Staff{n}",
             "last_name": "Bench", "active": True} for n in range(count)])
        ids = connection.execute(select(staff.c.id).where(staff.c.client_id == client_id)).scalars().all()
        connection.execute(insert(staff_clubs), [{"staff_id": i, "club_id": club_id} for i in ids])
