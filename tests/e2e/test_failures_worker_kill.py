"""Real gunicorn (deploy/gunicorn.conf.py, gthread workers) on PostgreSQL: a worker killed with
SIGKILL under load loses no acknowledged save, the master replaces it, and chunked bodies are
read within the size limit."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from partner_service.adapters import migrate
from partner_service.adapters.db import make_engine
from partner_service.service_layer import tenants
from partner_service.service_layer.unit_of_work import SqlAlchemyUnitOfWork, session_factory

from ..robustness import Tally, check_store, envelope, post, run_load, save_xml
from ..support import postgres_database

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
MAX_BODY = 64 * 1024


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_healthy(url: str, server: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {server.stderr.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not become healthy")


def workers_of(master_pid: int) -> set[int]:
    """PIDs of the processes whose parent is the gunicorn master (its workers)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master_pid:
            found.add(int(stat.parent.name))
    return found


@pytest.fixture(scope="module")
def gunicorn_server(tmp_path_factory):
    """``(url, master, engine, client_id, club_id)``: gunicorn with 2 workers x 4 threads."""
    with postgres_database() as database_url:
        engine = make_engine(database_url)
        migrate.upgrade(engine)
        acme = tenants.create_client(SqlAlchemyUnitOfWork(session_factory(engine)), "Acme Fitness", 1)
        port = _free_port()
        env = dict(os.environ, PARTNER_DATABASE_URL=database_url, PARTNER_BIND=f"127.0.0.1:{port}",
                   PARTNER_INSECURE_HTTP="true", PARTNER_WORKERS="2", PARTNER_THREADS="4",
                   PARTNER_GRACEFUL_TIMEOUT="3", PARTNER_LOG_LEVEL="warning",
                   PARTNER_MAX_BODY_BYTES=str(MAX_BODY), PARTNER_DATA_DIR=str(tmp_path_factory.mktemp("var")),
                   PARTNER_TEST_PRINCIPALS=json.dumps({"acme": acme.id}), PYTHONPATH=str(ROOT))
        server = subprocess.Popen([str(GUNICORN), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
                                   "tests.e2e.gunicorn_app:create_test_app()"],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(url, server)
            yield url, server.pid, engine, acme.id, acme.club_ids[0]
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            engine.dispose()


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
                            kwargs=dict(threads=8, per_thread=100_000, seed=11, tally=tally, stop=stop))
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
