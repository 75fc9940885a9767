"""Real gunicorn (deploy/gunicorn.conf.py, gthread workers) on PostgreSQL: a worker killed with
SIGKILL under load (single saves and batches) loses no acknowledged save, the master replaces
it, and chunked bodies are read within the size limit."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from ..support import (
    Tally,
    acme_on_postgresql,
    check_store,
    envelope,
    gunicorn,
    post,
    run_load,
    save_xml,
    workers_of,
)

MAX_BODY = 64 * 1024


@pytest.fixture(scope="module")
def gunicorn_server(tmp_path_factory):
    """``(url, master, engine, client_id, club_id)``: gunicorn with 2 workers x 4 threads."""
    with acme_on_postgresql() as (database_url, engine, acme):
        data_dir = tmp_path_factory.mktemp("var")
        with gunicorn(database_url, {"acme": acme.id}, data_dir, MAX_BODY) as (url, master):
            yield url, master, engine, acme.id, acme.club_ids[0]


def test_a_chunked_request_within_the_limit_is_served(gunicorn_server):
    url, _, _, _, club_id = gunicorn_server
    body = envelope(save_xml("SaveProspect", club_id, "Prospect", {"FirstName": "Chunk", "LastName": "Ed"}))
    reply = post(url, body, chunked=True)
    assert (reply.status, reply.text("Action")) == (200, "Inserted")


def test_a_chunked_request_over_the_limit_gets_a_413_fault(gunicorn_server):
    url, _, _, _, club_id = gunicorn_server
    body = envelope(save_xml("SaveProspect", club_id, "Prospect", {"FirstName": "C" * MAX_BODY}))
    reply = post(url, body, chunked=True)
    assert (reply.status, reply.fault_code, reply.is_soap_envelope) == (413, "Client", True)


@pytest.mark.slow
def test_a_worker_killed_under_load_loses_no_acknowledged_save(gunicorn_server):
    url, master, engine, client_id, club_id = gunicorn_server
    stop, tally = threading.Event(), Tally()
    load = threading.Thread(target=run_load, args=(url, club_id, None),
                            kwargs=dict(threads=8, per_thread=100_000, seed=11, tally=tally, stop=stop,
                                        batches=0.25))
    load.start()
    killed = []
    try:
        for _ in range(2):
            time.sleep(1.0)
            victim = min(workers_of(master))
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)
        time.sleep(2.0)
    finally:
        stop.set()
        load.join()
    replacements = workers_of(master) - set(killed)
    assert len(replacements) == 2, "the master did not replace the killed workers"
    # The kills cut requests in flight (no answer: not acknowledged); every answer was a save.
    assert tally.transport_errors > 0 and tally.acknowledged_saves > 0
    assert (tally.faults, tally.non_soap_answers) == ({}, 0)

    check = check_store(engine, client_id, tally)
    assert (check.missing, check.duplicates, check.broken_history) == ([], 0, [])

    retried = Tally()
    for external_id in sorted(tally.unanswered):
        retried.record(external_id, post(url, envelope(save_xml("SaveProspect", club_id, "Prospect", {
            "ExternalId": external_id, "FirstName": "Retry", "LastName": "Load"}))))
    assert retried.faults == {}
    after = check_store(engine, client_id, retried)
    assert (after.missing, after.duplicates, after.broken_history) == ([], 0, [])
