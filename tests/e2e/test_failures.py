"""The database goes away under load (a cut TCP proxy, never the shared server): callers get
``Server.Unavailable``, nothing half-written is left (no person, no batch), and the service
recovers by itself."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request

import pytest
from partner_service.adapters.db import make_engine
from partner_service.app import create_app
from partner_service.config import Settings
from partner_service.domain.model import Principal

from ..support import (
    Tally,
    UsernameOnly,
    acme_on_postgresql,
    check_store,
    envelope,
    post,
    proxied,
    run_load,
    save_xml,
    serve_in_thread,
)

THREADS = 8


@pytest.fixture
def outage(tmp_path):
    """``(proxy, url, engine, client_id, club_id)``: the app reaching PostgreSQL through a proxy;
    ``engine`` reaches it directly, to check what is stored."""
    with acme_on_postgresql() as (database_url, direct, acme), proxied(database_url) as (proxy, proxied_url):
        engine = make_engine(proxied_url)
        app = create_app(Settings(data_dir=tmp_path), engine=engine,
                         authenticate=UsernameOnly({"acme": Principal(acme.id, username="acme")}))
        with serve_in_thread(app) as url:
            yield proxy, url, direct, acme.id, acme.club_ids[0]
        engine.dispose()


def _ready(url: str) -> int:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.slow
def test_a_database_cut_under_load_answers_unavailable_leaves_nothing_partial_and_recovers(outage):
    proxy, url, direct, client_id, club_id = outage
    stop, tally = threading.Event(), Tally()
    load = threading.Thread(target=run_load, args=(url, club_id, None),
                            kwargs=dict(threads=THREADS, per_thread=100_000, seed=7, tally=tally, stop=stop,
                                        batches=0.25))
    load.start()
    try:
        time.sleep(1.0)
        acknowledged_before_cut = tally.acknowledged_saves
        proxy.cut()
        time.sleep(1.5)
        ready_while_cut = _ready(url)
        proxy.restore()
        time.sleep(1.5)
    finally:
        stop.set()
        load.join()
    assert acknowledged_before_cut > 0 and ready_while_cut == 503 and _ready(url) == 200
    assert set(tally.faults) == {"Server.Unavailable"}
    assert (tally.transport_errors, tally.non_soap_answers) == (0, 0)

    check = check_store(direct, client_id, tally)
    assert (check.missing, check.duplicates, check.broken_history) == ([], 0, [])
    # Only a request whose COMMIT was on the wire at the cut can be stored yet unacknowledged:
    # at most one per client thread, whole (checked above), and a batch with all its records.
    in_doubt = [sent for sent in tally.unanswered_requests if set(sent) & check.external_ids]
    assert len(in_doubt) <= THREADS
    assert [sent for sent in in_doubt if not set(sent) <= check.external_ids] == []

    # The Connector retries what was not acknowledged: keyed on ExternalId, nothing doubles.
    retried = Tally()
    for external_id in sorted(tally.unanswered):
        retried.record(external_id, post(url, envelope(save_xml("SaveMember", club_id, "Member", {
            "ExternalId": external_id, "FirstName": "Retry", "LastName": "Load"}))))
    assert (retried.faults, retried.sent) == ({}, len(tally.unanswered))
    after = check_store(direct, client_id, retried)
    assert (after.missing, after.duplicates, after.broken_history) == ([], 0, [])
    assert after.people == len(set(tally.acknowledged) | tally.unanswered)


def test_a_save_while_the_database_is_away_is_unavailable_and_the_next_one_works(outage):
    proxy, url, direct, client_id, club_id = outage
    body = envelope(save_xml("SaveProspect", club_id, "Prospect", {"ExternalId": "E1", "FirstName": "Ann",
                                                                    "LastName": "Lee"}))
    assert post(url, body).text("Action") == "Inserted"
    proxy.cut()
    refused = post(url, body)
    assert (refused.status, refused.fault_code) == (500, "Server.Unavailable")
    assert "nothing was saved" in refused.fault_string.lower()
    proxy.restore()
    assert post(url, body).text("Action") == "Unchanged"
    assert check_store(direct, client_id, Tally()).people == 1
