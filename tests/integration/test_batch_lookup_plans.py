"""PostgreSQL: a batch's lookup costs what its keys cost, whatever the table's statistics say.

A new deployment's tables are not analyzed until autovacuum gets to them (a minute at the
soonest), and that is when a Connector's first sync sends its largest batches. Planned from
no statistics, a lookup written as ``client_id = $1 AND external_id = ANY($2)`` read every
person of the client and filtered them: a batch's PostgreSQL CPU grew with the table.
"""

from __future__ import annotations

import pytest
from partner_service.adapters import migrate
from partner_service.adapters.db import make_engine
from partner_service.adapters.people_rows import PeopleRows
from partner_service.service_layer import tenants
from partner_service.service_layer.unit_of_work import SqlAlchemyUnitOfWork, session_factory
from sqlalchemy import text
from sqlalchemy.orm import Session

from ..support import postgres_database

PEOPLE = 20_000


@pytest.fixture
def never_analyzed():
    """A client with 20,000 people in a table PostgreSQL has no statistics for."""
    with postgres_database() as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        client = tenants.create_client(SqlAlchemyUnitOfWork(session_factory(engine)), "many", 1)
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE people SET (autovacuum_enabled = false)"))
            connection.execute(text(
                "INSERT INTO people (client_id, club_id, user_type, external_id, first_name, last_name,"
                " inserted_at, updated_at) SELECT :client, :club, 'Prospect', 'ext-' || n, 'Pat', 'Many',"
                " now(), now() FROM generate_series(1, :count) AS n"),
                {"client": client.id, "club": client.club_ids[0], "count": PEOPLE})
            analyzed = connection.execute(text("SELECT last_analyze, last_autoanalyze FROM pg_stat_user_tables "
                                               "WHERE relname = 'people'")).one()
        assert analyzed == (None, None)
        yield engine, client.id
        engine.dispose()


def _rows_read(session: Session) -> int:
    """People rows this transaction has read so far: by scans, and fetched through indexes."""
    return session.execute(text("SELECT seq_tup_read + idx_tup_fetch FROM pg_stat_xact_user_tables "
                                "WHERE relname = 'people'")).scalar_one()


@pytest.mark.parametrize("by", ["external_id", "id and external_id"])
def test_a_batch_lookup_reads_the_rows_of_its_keys_not_every_person_of_the_client(never_analyzed, by):
    engine, client_id = never_analyzed
    external_ids = [f"ext-{n}" for n in range(1, PEOPLE, PEOPLE // 50)] + ["ext-missing"]
    with Session(engine) as session:
        ids = [] if by == "external_id" else session.execute(text(
            "SELECT id FROM people WHERE external_id IN ('ext-7', 'ext-8')")).scalars().all()
        before = _rows_read(session)
        found = PeopleRows(session).load(client_id, ids, external_ids)
        read = _rows_read(session) - before
    assert len(found) == 50 + len(ids)
    assert [row["id"] for row in found] == sorted(row["id"] for row in found)
    keys = len(external_ids) + len(ids)
    assert read <= 3 * keys, f"{read} rows read for {keys} keys"


def test_a_batch_lookup_finds_nothing_of_another_client(never_analyzed):
    engine, client_id = never_analyzed
    with Session(engine) as session:
        some_id = session.execute(text("SELECT min(id) FROM people")).scalar_one()
        assert PeopleRows(session).load(client_id + 1, [some_id, some_id + 1], ["ext-1", "ext-2"]) == []
        assert len(PeopleRows(session).load(client_id, [some_id, some_id + 1], ["ext-1", "ext-2"])) == 2
