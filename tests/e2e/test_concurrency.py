"""Many clients at once on PostgreSQL, over real sockets: overlapping ExternalIds and the same
people converted by several clients together end with one person per ExternalId, and every
Id the service acknowledged is that person's."""

from __future__ import annotations

import random
import threading

import pytest

from ..robustness import PERSON_OPERATIONS, Tally, check_store, envelope, person_xml, post, run_load, save_xml

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
            records = "".join("<p:Prospect>" + person_xml({"ExternalId": ext, "FirstName": f"B{seed}",
                                                           "LastName": "Batch"}) + "</p:Prospect>"
                              for ext in chosen)
            reply = post(live_url, envelope(f"<p:SaveProspects><p:ClubId>{club}</p:ClubId>"
                                            f"<p:Prospects>{records}</p:Prospects></p:SaveProspects>"))
            _record_batch(tally, chosen, reply)

    clients = [threading.Thread(target=send_batches, args=(seed,)) for seed in range(8)]
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    assert tally.sent == 8 * 6 * 20
    _assert_one_person_per_external_id(engine, world.acme.client_id, tally, external_ids)


def _record_batch(tally: Tally, external_ids: list[str], reply) -> None:
    """One entry per record: its Id when the batch answered it saved, else the fault or Failed."""
    results = reply.results() if reply.fault_code is None else []
    with tally.lock:
        tally.sent += len(external_ids)
        if len(results) != len(external_ids):
            tally.faults[reply.fault_code or f"HTTP {reply.status}"] += len(external_ids)
            return
        for ext, (person_id, action) in zip(external_ids, results, strict=True):
            if action == "Failed" or not person_id:
                tally.faults[f"record {action}"] += 1
            else:
                tally.acknowledged.setdefault(ext, set()).add(person_id)
