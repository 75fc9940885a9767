"""Single saves as autocommitted statements (``PostgresPeopleStore.run``).

Optimistic, not locking: a row changed by another save between this save's read and its
write is planned again, never written over. The request's nonce goes in with the write (or
alone when nothing is written), once: a replay writes nothing, and a refused or retried save
neither forgets its nonce nor takes it for its own replay. SQLite's store groups single saves
(test_save_groups.py), so these run on PostgreSQL only.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import psycopg
import pytest
from partner_service.adapters.driver_sql import DIALECTS
from partner_service.adapters.orm import people, seen_nonces, user_type_history
from partner_service.adapters.people_postgresql import PostgresPeopleStore
from partner_service.domain.errors import SecurityRefused, Unavailable, ValidationError
from partner_service.domain.fields import Action, UserType
from partner_service.domain.people import PersonChanges
from partner_service.service_layer.people import ATTEMPTS, SaveRequest, save_person
from sqlalchemy import select, text, update

from ..support import postgres_database
from ..support.nonces import NOW, Nonce


@pytest.fixture
def database_url():
    """PostgreSQL only (instead of the suite's two engines)."""
    with postgres_database() as url:
        yield url


def _rows(engine, *columns, **where):
    with engine.connect() as connection:
        query = select(*columns)
        for name, value in where.items():
            query = query.where(columns[0].table.c[name] == value)
        return connection.execute(query).all()


def _nonces(engine) -> set[str]:
    return {row.key for row in _rows(engine, seen_nonces.c.key)}


def _replacing(store, method: str, around):
    """``store`` whose writes' ``method`` is ``around(writes, original)``: to watch or meddle."""
    run = store.run

    def replaced(work):
        def meddled(writes):
            setattr(writes, method, around(writes, getattr(writes, method)))
            return work(writes)
        return run(meddled)
    store.run = replaced
    return store


def _recording(store, sent: list):
    """``store`` whose writes append each (statement, parameters) they send to ``sent``."""
    return _replacing(store, "_execute", lambda _writes, execute: lambda sql, parameters: (
        sent.append((sql, parameters)) or execute(sql, parameters)))


def _save(store, world, external_id, values, nonce=None, test=False):
    return save_person(store, SaveRequest.single(world.acme, world.acme_club_ids[0], UserType.PROSPECT,
                                                 PersonChanges(values, external_id=external_id), test=test,
                                                 nonce=nonce or Nonce()))


@pytest.mark.parametrize("read, values, zipcode_of", [
    # City alone would not make a new person: the person is loaded, then written.
    ("load", {"City": "Bergen"}, lambda found: found[0]["zipcode"]),
    # A whole record by ExternalId: the insert that found the person read it.
    ("insert_unless_found", {"FirstName": "Eve", "LastName": "Early", "City": "Bergen"},
     lambda answer: answer[1][0]["zipcode"]),
])
def test_a_row_changed_between_read_and_write_is_planned_again_not_overwritten(engine, uow_factory, world,
                                                                              read, values, zipcode_of):
    _save(PostgresPeopleStore(engine, uow_factory), world, "E1",
          {"FirstName": "Eve", "LastName": "Early", "City": "Oslo"})
    reads = []

    def meddling(_rows, original):
        """After this save's first read, another writer changes the person's Zipcode."""
        def read_then_meddle(*args):
            answer = original(*args)
            if not reads:
                with engine.begin() as other:
                    other.execute(update(people).where(people.c.external_id == "E1").values(zipcode="0150"))
            reads.append(zipcode_of(answer))
            return answer
        return read_then_meddle

    admission = Nonce()
    outcome = _save(_replacing(PostgresPeopleStore(engine, uow_factory), read, meddling), world, "E1", values,
                    nonce=admission)

    assert outcome.action is Action.UPDATED
    assert reads == [None, "0150"]  # read twice: the first plan was made from a row that changed
    (stored,) = _rows(engine, people.c.city, people.c.zipcode, external_id="E1")
    assert (stored.city, stored.zipcode) == ("Bergen", "0150")  # both writers' changes kept
    assert admission.key in _nonces(engine)  # recorded once; the second read did not refuse it


def test_a_person_changed_before_every_write_is_saved_under_the_row_lock_at_last(engine, uow_factory, world):
    """Many clients converting one person at once: a save that loses every optimistic attempt
    takes the row lock (a unit of work) instead of failing, its nonce recorded once."""
    _save(PostgresPeopleStore(engine, uow_factory), world, "K1", {"FirstName": "Kay", "LastName": "Keen"})
    meddled = []

    def always_meddling(_rows, load):
        """Another writer changes the person after each of this save's reads."""
        def load_then_meddle(*args):
            found = load(*args)
            with engine.begin() as other:
                other.execute(update(people).where(people.c.external_id == "K1")
                              .values(zipcode=f"{len(meddled):04}"))
            meddled.append(1)
            return found
        return load_then_meddle

    admission = Nonce()
    outcome = _save(_replacing(PostgresPeopleStore(engine, uow_factory), "load", always_meddling), world, "K1",
                    {"City": "Bergen"}, nonce=admission)
    assert outcome.action is Action.UPDATED
    assert len(meddled) == ATTEMPTS  # every optimistic attempt lost; then the row lock
    (stored,) = _rows(engine, people.c.city, people.c.zipcode, external_id="K1")
    assert (stored.city, stored.zipcode) == ("Bergen", f"{ATTEMPTS - 1:04}")  # both writers' changes
    assert admission.key in _nonces(engine)


def test_a_replayed_nonce_is_refused_and_nothing_is_stored(engine, uow_factory, world):
    saves = PostgresPeopleStore(engine, uow_factory)
    admission = Nonce()
    _save(saves, world, "R1", {"FirstName": "Ray", "LastName": "Play"}, nonce=admission)
    with pytest.raises(SecurityRefused) as refused:
        _save(saves, world, "R2", {"FirstName": "Ray", "LastName": "Again"}, nonce=Nonce(admission.key))
    assert refused.value.code == "wsse:MessageExpired"
    assert _rows(engine, people.c.id, external_id="R2") == []
    # A nonce whose time is over (not yet purged) is taken over, as NonceCache does.
    with engine.begin() as connection:
        connection.execute(update(seen_nonces).values(expires_at=NOW - timedelta(seconds=1)))
    outcome = _save(saves, world, "R2", {"FirstName": "Ray", "LastName": "Later"},
                    nonce=Nonce(admission.key))
    assert outcome.action is Action.INSERTED


def test_a_save_that_writes_nothing_records_its_nonce_and_a_replay_is_refused_before_any_rule(
        engine, uow_factory, world):
    saves = PostgresPeopleStore(engine, uow_factory)
    values = {"FirstName": "Una", "LastName": "Changed"}
    _save(saves, world, "U2", values)
    unchanged = Nonce()
    assert _save(saves, world, "U2", values, nonce=unchanged).action is Action.UNCHANGED
    assert unchanged.key in _nonces(engine)
    # The same token again, whatever the body: nothing to write, a rule's refusal, an update.
    for external_id, body in (("U2", values), ("U3", {"FirstName": "No Last Name"}), ("U2", {"City": "Away"})):
        with pytest.raises(SecurityRefused):
            _save(saves, world, external_id, body, nonce=Nonce(unchanged.key))
    assert [row.city for row in _rows(engine, people.c.city, external_id="U2")] == [None]
    assert _rows(engine, people.c.id, external_id="U3") == []


def test_a_save_refused_by_a_rule_records_its_nonce_and_nothing_else(engine, uow_factory, world):
    saves = PostgresPeopleStore(engine, uow_factory)
    admission = Nonce()
    with pytest.raises(ValidationError) as refused:
        _save(saves, world, "V1", {"FirstName": "No Last Name"}, nonce=admission)
    assert refused.value.field == "LastName"
    assert _rows(engine, people.c.id, external_id="V1") == []
    assert admission.key in _nonces(engine)


def test_an_insert_writes_the_person_and_their_history_and_a_test_save_none(engine, uow_factory, world):
    saves = PostgresPeopleStore(engine, uow_factory)
    checked = _save(saves, world, "T1", {"FirstName": "Tess", "LastName": "Test"}, test=True)
    assert (checked.action, checked.id) == (Action.VALIDATED, None)
    assert _rows(engine, people.c.id, external_id="T1") == []
    saved = _save(saves, world, "T1", {"FirstName": "Tess", "LastName": "Test"})
    assert saved.action is Action.INSERTED
    _assert_converted_to_member(engine, saves, world, "T1", {}, saved.id)  # loaded: not a whole record


def _assert_converted_to_member(engine, saves, world, external_id: str, values: dict, person_id: str) -> None:
    """A member save of the prospect converts them, keeping the ID, with a second history row."""
    changes = PersonChanges(values, external_id=external_id)
    member = save_person(saves, SaveRequest.single(world.acme, world.acme_club_ids[0], UserType.MEMBER, changes,
                                                   nonce=Nonce()))
    assert (member.id, member.action, member.user_type) == (person_id, Action.UPDATED, UserType.MEMBER)
    history = _rows(engine, user_type_history.c.from_type, user_type_history.c.to_type,
                    person_id=int(person_id))
    assert sorted(history, key=lambda h: h.from_type is not None) == [
        (None, UserType.PROSPECT), (UserType.PROSPECT, UserType.MEMBER)]


def test_a_credential_due_for_bookkeeping_is_saved_in_a_unit_of_work(engine, uow_factory, world):
    written = []

    class Due(Nonce):
        needs_transaction = True

        def write(self, uow):  # as auth.NonceRecord: the nonce and the credential's last use
            written.append(uow.nonces.remember(self.key, self.until, NOW))

    outcome = _save(PostgresPeopleStore(engine, uow_factory), world, "B1",
                    {"FirstName": "Bo", "LastName": "Book"}, nonce=Due())
    assert outcome.action is Action.INSERTED and written == [True]


@pytest.mark.parametrize("write, external_id", [
    ("insert_unless_found", "U1"),  # a new ExternalId: one statement
    ("write", None),                # no ExternalId: loaded (nothing), then inserted
])
def test_a_connection_lost_during_the_write_is_reported_as_an_unknown_outcome(engine, uow_factory, world,
                                                                              write, external_id):
    sent = []

    def cutting(writes, original):
        def cut_then_write(*args):
            pid = writes.connection.driver_connection.info.backend_pid
            with engine.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            sent.append(write)
            return original(*args)
        return cut_then_write

    with pytest.raises(Unavailable) as unavailable:
        _save(_replacing(PostgresPeopleStore(engine, uow_factory), write, cutting), world, external_id,
              {"FirstName": "Una", "LastName": "Cut"})
    assert sent == [write]
    assert "may or may not be stored" in str(unavailable.value)
    # The pool let go of the dead connection: the next save works.
    assert _save(PostgresPeopleStore(engine, uow_factory), world, external_id,
                 {"FirstName": "Una", "LastName": "Cut"}).action is Action.INSERTED


def _plan_nodes(node: dict):
    yield node
    for child in node.get("Plans", ()):
        yield from _plan_nodes(child)


@pytest.mark.parametrize("by_id, by_external_id", [(True, False), (False, True), (True, True)])
def test_a_person_is_found_by_index_even_under_a_generic_plan(engine, uow_factory, world,
                                                               by_id, by_external_id):
    """psycopg prepares a statement run five times, and PostgreSQL may then plan it once for
    any parameters: the lookup must stay a probe of a unique index, not a walk through every
    person of the client (the old ``id = %s OR external_id = %s`` did that: 3 ms a save at
    6,000 people)."""
    saves = PostgresPeopleStore(engine, uow_factory)
    ids = [_save(saves, world, f"G{n}", {"FirstName": "Gen", "LastName": "Eric"}).id for n in range(300)]
    sql = DIALECTS["postgresql"]
    lookup = sql.person_lookup(by_id, by_external_id, lock=False)
    parameters = sql.lookup_parameters(world.acme.client_id, int(ids[150]) if by_id else None,
                                       "G151" if by_external_id else None)
    with engine.connect() as connection:
        cursor = connection.connection.driver_connection.cursor()
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        numbered = re.sub("%s", lambda _, n=iter(range(1, 9)): f"${next(n)}", lookup)
        cursor.execute(f"PREPARE lookup AS {numbered}")
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE lookup ({', '.join(map(repr, parameters))})")
        (plan,) = cursor.fetchone()[0]
    nodes = list(_plan_nodes(plan["Plan"]))
    assert [n["Node Type"] for n in nodes if n["Node Type"] == "Seq Scan"] == []
    assert sum(n.get("Rows Removed by Filter", 0) for n in nodes) == 0
    assert plan["Plan"]["Actual Rows"] == by_id + by_external_id  # G150 by ID, G151 by ExternalId


def test_a_new_person_is_one_statement_and_a_known_one_two_drawing_no_id(engine, uow_factory, world):
    executed: list[tuple] = []
    saves = _recording(PostgresPeopleStore(engine, uow_factory), executed)
    values = {"FirstName": "Nina", "LastName": "New", "City": "Oslo"}
    _save(saves, world, "N0", values)  # the store's first: reads the club
    executed.clear()
    first = _save(saves, world, "N1", values)
    assert (first.action, len(executed)) == (Action.INSERTED, 1)
    # The insert that finds the person writes nothing; the nonce goes with the update, or alone.
    for city, action in (("Bergen", Action.UPDATED), ("Bergen", Action.UNCHANGED), ("Molde", Action.UPDATED)):
        executed.clear()
        admission = Nonce()
        outcome = _save(saves, world, "N1", {**values, "City": city}, nonce=admission)
        assert (outcome.id, outcome.action, len(executed)) == (first.id, action, 2)
        assert admission.key in _nonces(engine)
    (stored,) = _rows(engine, people.c.city, external_id="N1")
    assert stored.city == "Molde"
    # Finding a known person drew no value from the IDs' sequence.
    assert int(_save(saves, world, "N2", values).id) == int(first.id) + 1
    _assert_converted_to_member(engine, saves, world, "N1", values, first.id)  # found by the insert


def test_an_external_id_inserted_while_the_insert_waits_becomes_an_update(engine, uow_factory, world):
    """The other save's INSERT is committed after this statement's snapshot: its INSERT finds
    the conflict, its lookup saw nothing, so the save loads again and updates that person."""
    values = {"FirstName": "Rita", "LastName": "Race"}
    other = engine.connect()
    other.begin()
    now = datetime.now()
    other.execute(people.insert().values(client_id=world.acme.client_id, club_id=world.acme_club_ids[0],
                                         user_type=UserType.PROSPECT, external_id="W1", first_name="Rita",
                                         last_name="Race", city="Oslo", inserted_at=now, updated_at=now))
    answers = []
    watched = _replacing(PostgresPeopleStore(engine, uow_factory), "insert_unless_found",
                         lambda _rows, insert: lambda *args: answers.append(insert(*args)) or answers[-1])

    admission = Nonce()
    with ThreadPoolExecutor(1) as pool:
        saving = pool.submit(_save, watched, world, "W1",
                             {**values, "City": "Bergen"}, admission)
        try:
            _wait_until_blocked(engine)
            other.commit()
        finally:
            other.close()  # a failure above must not leave the save waiting for this lock forever
        outcome = saving.result(timeout=10)
    assert answers == [(None, [])]  # neither inserted nor found: then loaded as any save
    assert outcome.action is Action.UPDATED
    assert [row.city for row in _rows(engine, people.c.city, external_id="W1")] == ["Bergen"]
    assert admission.key in _nonces(engine)


def _wait_until_blocked(engine, seconds: float = 10.0) -> None:
    """Until a session of this database waits for another's transaction (a row or key lock)."""
    deadline = time.monotonic() + seconds
    with engine.connect() as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'")).scalar()
            watcher.rollback()  # pg_stat_activity is read once per transaction: look afresh
            if waiting:
                return
            time.sleep(0.01)
    raise AssertionError("no save waited for the other transaction")


def test_the_insert_that_finds_a_person_probes_the_index_even_under_a_generic_plan(engine, uow_factory, world):
    """The one-statement insert looks the ExternalId up first: prepared (psycopg, after five runs)
    and planned once for any parameters, that must stay a probe of the unique index."""
    sent = []
    saves = _recording(PostgresPeopleStore(engine, uow_factory), sent)
    for n in range(300):
        _save(saves, world, f"P{n}", {"FirstName": "Gen", "LastName": "Eric"})
    sent.clear()
    _save(saves, world, "P150", {"FirstName": "Gen", "LastName": "Eric"})  # found: unchanged
    statement, parameters = sent[0]
    assert "INSERT INTO people" in statement
    with engine.connect() as connection:
        driver = connection.connection.driver_connection
        driver.execute("SET plan_cache_mode = force_generic_plan")
        numbered = re.sub("%s", lambda _, n=iter(range(1, len(parameters) + 1)): f"${next(n)}", statement)
        driver.execute(f"PREPARE found AS {numbered}")
        cursor = psycopg.ClientCursor(driver)  # the parameters as literals: EXECUTE takes no placeholders
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE found ({', '.join(['%s'] * len(parameters))})",
                       parameters)
        (plan,) = cursor.fetchone()[0]
        connection.rollback()
    nodes = list(_plan_nodes(plan["Plan"]))
    assert [n["Node Type"] for n in nodes if n["Node Type"] == "Seq Scan"] == []
    assert sum(n.get("Rows Removed by Filter", 0) for n in nodes) == 0
    assert any(n.get("Index Name") == "uq_people_client_id_external_id" for n in nodes)
