"""Batch saves against the single-save path: same inputs, same answers, same stored state.

Two identical tenants live in one database; one gets the records through ``save_person``
one at a time, the other through ``save_people`` in one batch. IDs differ between the
tenants, so both sides are compared with every person ID replaced by a stable label.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime

import psycopg
import pytest
from partner_service.adapters import migrate
from partner_service.adapters.db import make_engine
from partner_service.adapters.orm import people, user_type_history
from partner_service.adapters.people_postgresql import PostgresPeopleRows
from partner_service.domain.errors import DomainError, Unavailable
from partner_service.domain.fields import PROSPECT_FIELDS, Action, UserType
from partner_service.domain.model import Principal
from partner_service.domain.people import PersonChanges
from partner_service.service_layer import lead_sources, tenants
from partner_service.service_layer.planning import failed as _failed
from partner_service.service_layer.unit_of_work import SqlAlchemyUnitOfWork, session_factory
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from ..support import postgres_database
from ..support.saves import save_many, save_one

OLD = datetime(2026, 1, 1, 12, 0, 0)
NEWER = datetime(2026, 2, 1, 12, 0, 0)


def _seed(uow_factory, name: str) -> dict:
    """A tenant with two clubs, a staff member, a lead source and three stored people."""
    client = tenants.create_client(uow_factory(), name, 2)
    principal = Principal(client.id, username=name)
    staff = tenants.add_staff(uow_factory(), client.id, f"staff@{name}.com", "Sam", "Staff")
    source = lead_sources.save_lead_source(uow_factory(), principal, None, "Walk-in")
    club = client.club_ids[0]
    ids = {"principal": principal, "club": club, "club2": client.club_ids[1],
           "staff": staff.id, "source": source.id}
    stored = {
        "p1": (UserType.PROSPECT, PersonChanges({"FirstName": "Pia", "LastName": "One", "City": "Oslo",
                                                 "ModifiedDate": NEWER}, external_id="E1")),
        "p2": (UserType.PROSPECT, PersonChanges({"FirstName": "Pal", "LastName": "Two", "City": "Rome"})),
        "m1": (UserType.MEMBER, PersonChanges({"FirstName": "Mia", "LastName": "Member"}, external_id="M1")),
    }
    for label, (user_type, changes) in stored.items():
        ids[label] = save_one(uow_factory, principal, club, user_type, changes).id
    return ids


def _prospect_records(ids: dict) -> list[PersonChanges]:
    """Every rule of a single save, and records that depend on the ones before them."""
    pete = {"FirstName": "Pete", "LastName": "Prospect"}
    return [
        PersonChanges(dict(pete)),                                               # insert
        PersonChanges(dict(pete), external_id="N1"),                             # insert by ExternalId
        PersonChanges({"City": "Lima"}, external_id="N1"),                       # updates the row just inserted
        PersonChanges({"City": "Lima"}, external_id="N1"),                       # ... then is Unchanged
        PersonChanges({"City": "Oslo", "ModifiedDate": OLD}, external_id="E1"),  # Stale
        PersonChanges({}, to_null=("City",), id=ids["p2"]),                      # FieldsToNull
        PersonChanges({}, to_null=("City",), id=ids["p2"]),                      # Unchanged
        PersonChanges({"City": "Nowhere"}, id="999999999"),                      # NotFound
        PersonChanges({**pete, "LeadOwnerId": "424242"}),                        # bad reference
        PersonChanges({**pete, "LeadOwnerId": ids["staff"], "LeadSourceId": ids["source"]}),
        PersonChanges({"City": "Kyiv"}, id=ids["p1"], external_id="M1"),         # ExternalId taken
        PersonChanges({"City": "Bern"}, id=ids["p2"], external_id="E2"),         # ExternalId moves
        PersonChanges({"FirstName": "Paolo"}, external_id="E2"),                 # found by the new one
        PersonChanges({"FirstName": "NoLast"}),                                  # required on insert
        PersonChanges({"TrialStartDate": OLD.date().replace(month=3),
                       "TrialEndDate": OLD.date()}, id=ids["p1"]),              # trial ends before start
        PersonChanges({"City": "Kobe"}, external_id="M1"),                       # member back to prospect
        PersonChanges({"Gender": "Robot"}, external_id="N2"),                    # bad enum
        PersonChanges({"FirstName": "x" * 81, "LastName": "Long"}),              # too long
    ]


def _member_records(ids: dict) -> list[PersonChanges]:
    return [
        PersonChanges({"Status": "Active"}, id=ids["p1"]),                      # prospect -> member
        PersonChanges({"Status": "Active"}, id=ids["p1"]),                      # already a member
        PersonChanges({"FirstName": "Nia", "LastName": "New"}, external_id="E1"),  # converted above
        PersonChanges({"FirstName": "Max", "LastName": "Member"}, external_id="X1"),
        PersonChanges({"LeadOwnerId": ids["staff"]}, external_id="X1"),         # not a member field
    ]


def _single(uow_factory, ids, user_type, records) -> list:
    outcomes = []
    for changes in records:
        try:
            outcomes.append(save_one(uow_factory, ids["principal"], ids["club2"],
                                                       user_type, changes))
        except DomainError as error:
            outcomes.append(_failed(error))
    return outcomes


def _batch(uow_factory, ids, user_type, records, **options) -> list:
    return save_many(uow_factory, ids["principal"], ids["club2"], user_type, records,
                                      **options)


def _labels(engine, ids: dict) -> dict[int, str]:
    """Person ID -> a label equal on both tenants: the seed's name, or the n-th new row."""
    client_id = ids["principal"].client_id
    with engine.connect() as connection:
        rows = connection.execute(select(people.c.id).where(people.c.client_id == client_id)
                                  .order_by(people.c.id)).scalars().all()
    seeded = {int(ids[k]): k for k in ("p1", "p2", "m1")}
    fresh = iter(range(1, len(rows) + 1))
    return {row_id: seeded.get(row_id) or f"new{next(fresh)}" for row_id in rows}


def _answers(outcomes, labels) -> list:
    return [(o.action, labels.get(int(o.id)) if o.id else None, o.user_type,
             (o.error.code, o.error.field) if o.error else None) for o in outcomes]


def _state(engine, ids: dict, labels: dict) -> tuple[list, list]:
    """Every stored person and history line of the tenant, timestamps and own IDs left out."""
    columns = [people.c[spec.attr] for spec in PROSPECT_FIELDS] + [people.c.user_type, people.c.external_id]
    own = {ids["club"]: "club", ids["club2"]: "club2"}
    with engine.connect() as connection:
        stored = connection.execute(select(people.c.id, people.c.club_id, people.c.lead_owner_id,
                                           people.c.lead_source_id, *columns)
                                    .where(people.c.client_id == ids["principal"].client_id)).all()
        history = connection.execute(select(user_type_history.c.person_id, user_type_history.c.from_type,
                                            user_type_history.c.to_type)
                                     .where(user_type_history.c.person_id.in_(list(labels)))).all()
    persons = sorted((labels[r.id], own[r.club_id], r.lead_owner_id is not None, r.lead_source_id is not None,
                      tuple(getattr(r, c.name) for c in columns if c.name not in ("lead_owner_id",
                                                                                "lead_source_id")))
                     for r in stored)
    lines = sorted((labels[h.person_id], h.from_type or "", h.to_type) for h in history)
    return persons, lines


@pytest.fixture
def twins(uow_factory):
    return _seed(uow_factory, "singles"), _seed(uow_factory, "batches")


@pytest.mark.parametrize("user_type, records", [(UserType.PROSPECT, _prospect_records),
                                                 (UserType.MEMBER, _member_records)])
def test_a_batch_answers_and_stores_what_single_saves_in_order_would(engine, uow_factory, twins,
                                                                       user_type, records):
    singles, batches = twins
    single = _single(uow_factory, singles, user_type, records(singles))
    batch = _batch(uow_factory, batches, user_type, records(batches))
    single_labels, batch_labels = _labels(engine, singles), _labels(engine, batches)
    assert _answers(batch, batch_labels) == _answers(single, single_labels)
    assert _state(engine, batches, batch_labels) == _state(engine, singles, single_labels)
    assert {o.action for o in batch} > {Action.FAILED}


def test_a_test_batch_answers_like_the_real_one_and_writes_nothing(engine, uow_factory, twins):
    _, ids = twins
    before = _state(engine, ids, _labels(engine, ids))
    tried = _batch(uow_factory, ids, UserType.PROSPECT, _prospect_records(ids), test=True)
    assert _state(engine, ids, _labels(engine, ids)) == before
    done = _batch(uow_factory, ids, UserType.PROSPECT, _prospect_records(ids))
    assert [o.action is Action.FAILED for o in tried] == [o.action is Action.FAILED for o in done]
    assert {o.action for o in tried} == {Action.VALIDATED, Action.FAILED}
    inserted = [t.id for t, d in zip(tried, done, strict=True) if d.action is Action.INSERTED]
    assert inserted and inserted == [None] * len(inserted)


def test_all_or_none_with_one_failure_stores_nothing_and_says_why_per_record(engine, uow_factory, twins):
    _, ids = twins
    before = _state(engine, ids, _labels(engine, ids))
    outcomes = _batch(uow_factory, ids, UserType.PROSPECT, _prospect_records(ids), all_or_none=True)
    assert _state(engine, ids, _labels(engine, ids)) == before
    assert {o.action for o in outcomes} == {Action.FAILED}
    codes = [o.error.code for o in outcomes]
    assert "Client.RolledBack" in codes and "Client.Validation" in codes and "Client.NotFound" in codes


def _statements(engine) -> list:
    """Every statement sent from now on: each execute, executemany and COPY of the driver's
    cursors (the hand-written SQL bypasses SQLAlchemy's events); an executemany is one."""
    sent: list = []
    if engine.dialect.name == "sqlite":
        class CountingCursor(sqlite3.Cursor):
            def execute(self, query, *args):
                sent.append(query)
                return super().execute(query, *args)

            def executemany(self, query, *args):
                sent.append(query)
                return super().executemany(query, *args)

        class CountingConnection(sqlite3.Connection):
            def cursor(self, factory=CountingCursor):
                return super().cursor(factory)

        engine.dispose()  # connections made from now on count
        event.listen(engine, "do_connect", lambda _d, _r, _a, parameters: parameters.update(
            factory=CountingConnection))
        with engine.connect():
            sent.clear()  # not the set-up of a new connection
        return sent

    class Counting(psycopg.Cursor):
        def execute(self, query, *args, **kwargs):
            sent.append(query)
            return super().execute(query, *args, **kwargs)

        def executemany(self, query, *args, **kwargs):
            sent.append(query)
            return super().executemany(query, *args, **kwargs)

        def copy(self, statement, *args, **kwargs):
            sent.append(statement)
            return super().copy(statement, *args, **kwargs)

    event.listen(engine, "checkout", lambda dbapi_connection, *_: setattr(dbapi_connection, "cursor_factory",
                                                                           Counting))
    return sent


def test_a_full_batch_takes_a_few_statements_not_one_per_record(engine, uow_factory, twins):
    _, ids = twins
    first = [PersonChanges({"FirstName": f"P{n}", "LastName": "Load", "LeadOwnerId": ids["staff"]},
                           external_id=f"load-{n}") for n in range(200)]
    statements = _statements(engine)
    outcomes = _batch(uow_factory, ids, UserType.PROSPECT, first)
    assert [o.action for o in outcomes] == [Action.INSERTED] * 200
    inserts = len(statements)
    half = [PersonChanges({"City": "Pisa"}, external_id=f"load-{n}") for n in range(100)] + first[100:]
    half[1] = PersonChanges({"City": "Pisa", "FirstName": "Other"}, external_id="load-1")
    outcomes = _batch(uow_factory, ids, UserType.PROSPECT, half)
    assert [o.action for o in outcomes] == [Action.UPDATED] * 100 + [Action.UNCHANGED] * 100
    assert 4 <= inserts <= 10 and 3 <= len(statements) - inserts <= 10, statements


def test_concurrent_batches_with_overlapping_external_ids_never_duplicate(engine, uow_factory, twins):
    _, ids = twins
    barrier = threading.Barrier(3)
    answers: dict[int, list] = {}

    def push(worker: int) -> None:
        for round_ in range(4):
            records = [PersonChanges({"FirstName": f"W{worker}", "LastName": "Race"},
                                     external_id=f"race-{round_}-{n}") for n in range(30)]
            records = records[worker * 5:] + records[:worker * 5]  # overlapping, in different orders
            barrier.wait(timeout=30)
            answers.setdefault(worker, []).extend(_batch(uow_factory, ids, UserType.PROSPECT, records))

    threads = [threading.Thread(target=push, args=(w,)) for w in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(answers) == [0, 1, 2]
    with engine.connect() as connection:
        count = connection.execute(select(func.count(), func.count(people.c.external_id.distinct()))
                                   .where(people.c.external_id.like("race-%"))).one()
    assert tuple(count) == (120, 120)
    actions = [o.action for worker in answers.values() for o in worker]
    assert actions.count(Action.INSERTED) == 120
    assert set(actions) <= {Action.INSERTED, Action.UPDATED, Action.UNCHANGED}


def test_racing_batches_leave_the_newest_modified_date_stored(engine, uow_factory, twins):
    """Late retries must not undo newer updates even when they arrive at the same moment."""
    _, ids = twins
    barrier = threading.Barrier(8)
    answers = []

    def push(n: int) -> None:
        changed = datetime(2026, 3, 1, 12, n)
        records = [PersonChanges({"City": f"city-{n}", "ModifiedDate": changed}, id=ids["p1"]),
                   PersonChanges({"FirstName": f"P{n}", "LastName": "Race"}, external_id=f"race-{n}")]
        barrier.wait(timeout=30)
        answers.append(_batch(uow_factory, ids, UserType.PROSPECT, records)[0].action)

    for _ in range(3):
        threads = [threading.Thread(target=push, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        with engine.connect() as connection:
            city, modified = connection.execute(select(people.c.city, people.c.modified_date)
                                                .where(people.c.id == int(ids["p1"]))).one()
        assert (city, modified) == ("city-7", datetime(2026, 3, 1, 12, 7))
    assert set(answers) <= {Action.UPDATED, Action.STALE, Action.UNCHANGED} and len(answers) == 24



@pytest.fixture
def one_connection():
    """PostgreSQL with a pool of one connection: what one statement did, the next one sees."""
    with postgres_database() as url:
        engine = make_engine(url, pool_size=1)
        migrate.upgrade(engine)
        yield engine
        engine.dispose()


def test_a_batch_plans_its_updates_for_its_records_and_leaves_the_planner_alone(one_connection):
    """PostgreSQL. psycopg prepares a statement run five times, and PostgreSQL may then plan it
    once for any parameters: a generic plan of the batch UPDATE made while the table was small
    joins its arrays to a scan of all people. So it is never prepared. Forcing custom plans on
    the whole transaction instead, as batches once did, re-planned each foreign-key check of
    their COPYs, row by row: about two thirds of PostgreSQL's CPU for a batch of new people.
    (The lookup probes its keys whatever the plan: ``test_batch_lookup_plans``.)"""
    sessions = session_factory(one_connection)
    ids = _seed(lambda: SqlAlchemyUnitOfWork(sessions), "planned")
    for batch in range(8):  # past psycopg's prepare threshold: each batch updates the last one's people
        records = [PersonChanges({"FirstName": f"Pat{batch}", "LastName": "Plan"}, external_id=f"plan-{n}")
                   for n in range(20)]
        outcomes = _batch(lambda: SqlAlchemyUnitOfWork(sessions), ids, UserType.PROSPECT, records)
        assert {o.action for o in outcomes} == {Action.UPDATED if batch else Action.INSERTED}
    with Session(one_connection) as session:
        rows = PostgresPeopleRows(session)
        rows.begin_batch(ids["principal"].client_id, ["plan-1", "plan-99"])
        found = rows.load(ids["principal"].client_id, [], ["plan-1", "plan-19", "plan-99"])
        mode = session.execute(select(func.current_setting("plan_cache_mode"))).scalar()
        prepared = session.execute(text("SELECT statement FROM pg_prepared_statements")).scalars().all()
    assert [(p["external_id"], p["first_name"]) for p in found] == [("plan-1", "Pat7"), ("plan-19", "Pat7")]
    assert mode == "auto"
    assert prepared and not [s for s in prepared if "UPDATE people" in s], prepared


def test_a_database_lost_during_a_batchs_copy_is_unavailable_and_stores_nothing(one_connection):
    """PostgreSQL. The COPY runs on the driver's own cursor, beside SQLAlchemy: its errors must
    come out as SQLAlchemy's, so that a lost database is ``Unavailable`` (the caller retries),
    never an internal error."""
    sessions = session_factory(one_connection)
    ids = _seed(lambda: SqlAlchemyUnitOfWork(sessions), "lost")
    before = _state(one_connection, ids, _labels(one_connection, ids))

    def cut_after_the_ids(conn, _cursor, statement, *_):
        if "nextval" in statement:  # the statement just before the COPY of the new people
            pid = conn.connection.driver_connection.info.backend_pid
            with one_connection.connect() as other:
                other.execute(select(func.pg_terminate_backend(pid)))

    event.listen(one_connection, "after_cursor_execute", cut_after_the_ids)
    records = [PersonChanges({"FirstName": "Lou", "LastName": "Lost"}, external_id=f"lost-{n}")
               for n in range(20)]
    try:
        with pytest.raises(Unavailable):
            _batch(lambda: SqlAlchemyUnitOfWork(sessions), ids, UserType.PROSPECT, records)
    finally:
        event.remove(one_connection, "after_cursor_execute", cut_after_the_ids)
    assert _state(one_connection, ids, _labels(one_connection, ids)) == before
    assert {o.action for o in _batch(lambda: SqlAlchemyUnitOfWork(sessions), ids, UserType.PROSPECT,
                                     records)} == {Action.INSERTED}
