"""The robustness figures of docs/robustness.md, from one command (run from the repository root):

    .venv/bin/python tools/robustness_report.py [--threads 16] [--per-thread 50]

Against a throwaway PostgreSQL database (``PARTNER_TEST_PG``, default the local server) and real
gunicorn (deploy/gunicorn.conf.py, 2 gthread workers x 4 threads) whose database connections
pass through a TCP proxy that can be cut, it runs five phases: hostile requests, many clients
saving overlapping ExternalIds, a database outage under load, workers killed with SIGKILL
under load, and the Connector's retries of every save that got no acknowledgement. Then it
checks the database against every acknowledged answer. The code is the tests' own
(``harness/robustness.py``), so the figures are those the test suite asserts.

Exit status 1 when a hostile request got another answer than its fault, or when an
acknowledged save is missing, a duplicate or a half-written person exists.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.gunicorn import gunicorn, workers_of  # noqa: E402
from harness.hostile_requests import hostile_requests  # noqa: E402
from harness.proxy import proxied  # noqa: E402
from harness.robustness import (  # noqa: E402
    MARKER,
    Tally,
    acme_on_postgresql,
    check_store,
    envelope,
    post,
    run_load,
    save_xml,
)

LOAD_THREADS = 8


def hostile_phase(url: str, club_id: int, max_body: int) -> tuple[Tally, list[str]]:
    tally, wrong = Tally(), []
    for case in hostile_requests(club_id, max_body):
        reply = post(url, case.body, case.content_type, timeout=10)
        tally.record(case.name, reply)
        if (reply.status, reply.fault_code) != (case.status, case.code) or MARKER.encode() in reply.body:
            wrong.append(f"{case.name}: HTTP {reply.status} {reply.fault_code}")
    return tally, wrong


def _under_load(url: str, club_id: int, seed: int, batches: float, events) -> Tally:
    """Unique-ExternalId saves (single and ``batches`` of them in batches) from ``LOAD_THREADS``
    clients while ``events`` (a callable) runs."""
    stop, tally = threading.Event(), Tally()
    options = dict(threads=LOAD_THREADS, per_thread=10**6, seed=seed, tally=tally, stop=stop, batches=batches)
    load = threading.Thread(target=run_load, args=(url, club_id, None), kwargs=options)
    load.start()
    try:
        events()
    finally:
        stop.set()
        load.join()
    return tally


def _ready(url: str) -> int:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=10) as response:  # noqa: S310 - our http URL
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def outage_phase(url: str, club_id: int, proxy, batches: float) -> tuple[Tally, dict]:
    seen = {}

    def cut_and_restore():
        time.sleep(1.0)
        proxy.cut()
        time.sleep(2.0)
        seen["readyz while cut"] = _ready(url)
        proxy.restore()
        time.sleep(2.0)
        seen["readyz after"] = _ready(url)

    return _under_load(url, club_id, 2, batches, cut_and_restore), seen


def kill_phase(url: str, club_id: int, master: int, batches: float) -> tuple[Tally, dict]:
    killed = []

    def kill_workers():
        for _ in range(2):
            time.sleep(1.0)
            killed.append(min(workers_of(master)))
            os.kill(killed[-1], signal.SIGKILL)
        time.sleep(2.0)

    tally = _under_load(url, club_id, 3, batches, kill_workers)
    return tally, {"workers killed": len(killed), "replaced": len(workers_of(master) - set(killed))}


def retry_phase(url: str, club_id: int, external_ids: set[str]) -> Tally:
    tally = Tally()
    for external_id in sorted(external_ids):
        tally.record(external_id, post(url, envelope(save_xml("SaveMember", club_id, "Member", {
            "ExternalId": external_id, "FirstName": "Retry", "LastName": "Load"}))))
    return tally


def merged(tallies: list[Tally]) -> Tally:
    total = Tally()
    for tally in tallies:
        total.sent += tally.sent
        total.records += tally.records
        total.faults.update(tally.faults)
        total.transport_errors += tally.transport_errors
        total.non_soap_answers += tally.non_soap_answers
        total.acknowledged_answers += tally.acknowledged_answers
        for external_id, ids in tally.acknowledged.items():
            total.acknowledged.setdefault(external_id, set()).update(ids)
    return total


def _faults(faults: Counter) -> str:
    return ", ".join(f"{code} {n}" for code, n in sorted(faults.items())) or "none"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=16, help="clients of the overlapping-saves phase")
    parser.add_argument("--per-thread", type=int, default=50, help="requests per client in that phase")
    parser.add_argument("--batches", type=float, default=0.25,
                        help="share of the load's requests that are batches of 2 to 8 records")
    options = parser.parse_args()
    max_body = 1024 * 1024  # the service's default limit, which the hostile cases are sized for
    with acme_on_postgresql() as (database_url, engine, acme), proxied(database_url) as (proxy, proxied_url), \
            tempfile.TemporaryDirectory() as data_dir, \
            gunicorn(proxied_url, {"acme": acme.id}, Path(data_dir), max_body) as (url, master):
        club = acme.club_ids[0]
        started = time.monotonic()
        hostile, wrong = hostile_phase(url, club, max_body)
        overlapping = run_load(url, club, [f"IT-{n}" for n in range(40)], threads=options.threads,
                               per_thread=options.per_thread, seed=1, batches=options.batches)
        outage, outage_seen = outage_phase(url, club, proxy, options.batches)
        killed, kill_seen = kill_phase(url, club, master, options.batches)
        unanswered = overlapping.unanswered | outage.unanswered | killed.unanswered
        before_retry = check_store(engine, acme.id, merged([overlapping, outage, killed]))
        retries = retry_phase(url, club, unanswered)
        phases = {"hostile input": hostile, "overlapping saves": overlapping, "database outage": outage,
                  "worker SIGKILL": killed, "retries": retries}
        total = merged(list(phases.values()))
        check = check_store(engine, acme.id, merged([overlapping, outage, killed, retries]))
        elapsed = time.monotonic() - started

    print(f"Robustness report: PostgreSQL, gunicorn 2 workers x 4 threads, {elapsed:.0f} s; "
          f"{options.batches:.0%} of the load's requests are batches of 2 to 8 records\n")
    print(f"{'phase':<20}{'requests':>9}{'records':>9}{'acknowledged':>14}{'no answer':>11}  faults by code")
    for name, tally in phases.items():
        print(f"{name:<20}{tally.sent:>9}{tally.records:>9}{tally.acknowledged_answers:>14}"
              f"{tally.transport_errors:>11}  {_faults(tally.faults)}")
    print()
    print(f"requests sent:                         {total.sent} ({total.records} records)")
    print(f"faults by code:                        {_faults(total.faults)}")
    print(f"no answer (connection cut by SIGKILL): {total.transport_errors}")
    print(f"answers that were not SOAP:            {total.non_soap_answers}")
    print(f"hostile requests answered otherwise:   {len(wrong)}{''.join(chr(10) + '  ' + w for w in wrong)}")
    print(f"outage: {outage_seen}; kill: {kill_seen}")
    in_doubt = len((outage.unanswered | killed.unanswered) & before_retry.external_ids)
    print(f"unacknowledged but stored (in doubt):  {in_doubt} (a COMMIT on the wire at the cut; whole rows)")
    print(f"acknowledged records:                  {total.acknowledged_answers}")
    print(f"acknowledged saves checked present:    {check.acknowledged_checked - len(check.missing)} of "
          f"{check.acknowledged_checked} (distinct ExternalId -> Id pairs)")
    print(f"duplicates found:                      {check.duplicates}")
    print(f"partial rows (broken type history):    {len(check.broken_history)}")
    print(f"people stored / distinct ExternalIds:  {check.people} / {len(check.external_ids)}")
    return 0 if check.ok and not wrong and not total.non_soap_answers else 1


if __name__ == "__main__":
    sys.exit(main())
