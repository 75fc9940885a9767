"""Many clients at once on PostgreSQL, over real sockets: overlapping ExternalIds and the same
people converted by several clients together end with one person per ExternalId, and every
Id the service acknowledged is that person's."""

from __future__ import annotations

import random
import threading

import pytest

from ..support import PERSON_OPERATIONS, Tally, batch_xml, check_store, envelope, post, run_load, save_xml

on_postgresql = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def _assert_one_person_per_external_id(engine, client_id, tally: Tally, external_ids) -> None:
    assert (tally.faults, tally.transport_errors, tally.non_soap_answers) == ({}, 0, 0)
    assert {ext: len(ids) for ext, ids in tally.acknowledged.items()} == {ext: 1 for ext in tally.acknowledged}
    check = check_store(engine, client_id, tally)
    assert (check.missing, check.duplicates, check.broken_history) == ([], 0, [])
    assert check.people == len(tally.acknowledged) <= len(external_ids)


@pytest.mark.slow
@on_postgresql
def test_16_clients_saving_overlapping_external_ids_make_one_person_each(live_url, world, engine):
    external_ids = [f"IT-{n}" for n in range(40)]
    tally = run_load(live_url, world.acme_club_ids[0], external_ids, threads=16, per_thread=50, seed=1)
    assert tally.sent == 800
    _assert_one_person_per_external_id(engine, world.acme.client_id, tally, external_ids)


@on_postgresql
def test_converting_the_same_people_by_id_at_once_keeps_each_person(live_url, world, engine):
    club = world.acme_club_ids[0]
    tally = Tally()
    for n in range(8):
        reply = post(live_url, envelope(save_xml("SaveProspect", club, "Prospect", {
            "ExternalId": f"C-{n}", "FirstName": "Pat", "LastName": "Prospect"})))
        tally.record(f"C-{n}", reply)
    ids = {ext: next(iter(found)) for ext, found in tally.acknowledged.items()}

    def convert(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(12):
            ext = rng.choice(sorted(ids))
            operation, record = rng.choice(PERSON_OPERATIONS)
            reply = post(live_url, envelope(save_xml(operation, club, record, {"Id": ids[ext],
                                                                               "LastName": f"L{seed}"})))
            tally.record(ext, reply)

    clients = [threading.Thread(target=convert, args=(seed,)) for seed in range(12)]
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    assert tally.sent == 8 + 12 * 12
    _assert_one_person_per_external_id(engine, world.acme.client_id, tally, list(ids))


@on_postgresql
def test_batches_with_overlapping_external_ids_at_once_make_one_person_each(live_url, world, engine):
    club = world.acme_club_ids[0]
    external_ids = [f"B-{n}" for n in range(60)]
    tally = Tally()

    def send_batches(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(6):
            chosen = rng.sample(external_ids, 20)
            records = [{"ExternalId": ext, "FirstName": f"B{seed}", "LastName": "Batch"} for ext in chosen]
            reply = post(live_url, envelope(batch_xml("SaveProspect", club, "Prospect", records)))
            tally.record_batch(chosen, reply)

    clients = [threading.Thread(target=send_batches, args=(seed,)) for seed in range(8)]
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    assert tally.sent == 8 * 6 and tally.acknowledged_answers == 8 * 6 * 20
    _assert_one_person_per_external_id(engine, world.acme.client_id, tally, external_ids)


@pytest.mark.slow
def test_16_clients_mixing_single_saves_and_batches_of_overlapping_external_ids_make_one_person_each(
        live_url, world, engine):
    """Both engines: batches lock their ExternalIds, single saves race optimistically (PostgreSQL)
    or queue for the one writer (SQLite); together they still make one person per ExternalId."""
    external_ids = [f"MIX-{n}" for n in range(40)]
    tally = run_load(live_url, world.acme_club_ids[0], external_ids, threads=16, per_thread=40, seed=3,
                     batches=0.3)
    assert tally.sent == 640 and tally.acknowledged_answers > 640
    _assert_one_person_per_external_id(engine, world.acme.client_id, tally, external_ids)
