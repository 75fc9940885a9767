"""A 10,000-record push stopped halfway by killing the real service (``partner-service serve``,
gunicorn, SIGKILL to master and workers), then finished once the service is back, by pushing
the failures file (on SQLite) or the same records file again (on PostgreSQL): every record is
stored once, as the service's own database shows."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from ..support.cli_process import BIN, ServiceProcess, captured, client_env, free_port

RECORDS = 10_000


def stored_people(database_url: str) -> tuple[int, int]:
    """(rows, distinct ExternalIds) in the service's people table."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            row = connection.execute(text("SELECT count(*), count(DISTINCT external_id) FROM people")).one()
    finally:
        engine.dispose()
    return int(row[0]), int(row[1])


@pytest.mark.slow
@pytest.mark.parametrize(("database_url", "rerun"),
                         [("sqlite", "failures file"), ("postgresql", "records file")],
                         indirect=["database_url"])
def test_a_push_stopped_by_killing_the_service_finishes_on_a_rerun_without_duplicates(tmp_path, database_url,
                                                                                     rerun):
    env = {**os.environ, "PARTNER_DATA_DIR": str(tmp_path / "var"), "PARTNER_DATABASE_URL": database_url}
    if not database_url.startswith("sqlite"):  # a SQLite file is migrated on first start, PostgreSQL is not
        upgrade = subprocess.run([str(BIN / "partner-service"), "db", "upgrade"], env=env, capture_output=True,
                                 text=True, timeout=120)
        assert upgrade.returncode == 0, upgrade.stderr
    port = free_port()
    turnup = subprocess.run([str(BIN / "partner-service"), "turnup", "--client", "Killed", "--clubs", "1",
                             "--url", f"http://127.0.0.1:{port}/soap"], env=env, capture_output=True, text=True,
                            timeout=120)
    assert turnup.returncode == 0, turnup.stderr
    assert turnup.stdout.rstrip().endswith("[options]")
    sheet = tmp_path / "sheet.toml"
    sheet.write_text(turnup.stdout + "attempts = 2\nbackoff = 0.1\n")
    records = tmp_path / "people.jsonl"
    records.write_text("".join(json.dumps({"connector_id": f"K-{n:05d}", "first_name": f"First{n}",
                                           "last_name": f"Last{n}", "email": f"k{n}@example.com"}) + "\n"
                               for n in range(RECORDS)))
    failures = Path(f"{records}.failures.jsonl")
    service = ServiceProcess(env, port)
    service.start()
    try:
        push = subprocess.Popen([str(BIN / "partner-client"), "push", "--sheet", str(sheet), str(records)],
                                env=client_env(PARTNER_CLIENT_PROGRESS_SECONDS="0"), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        progress = []
        for line in push.stderr:
            progress.append(line)
            done = re.match(r"push: ([\d,]+) of", line)
            if done and int(done.group(1).replace(",", "")) >= RECORDS // 2:
                service.kill()
                break
        stdout, rest = push.communicate(timeout=120)
        stderr = "".join(progress) + rest
        assert push.returncode == 2, stdout + stderr
        saved_before, distinct_before = stored_people(database_url)
        assert RECORDS // 2 <= saved_before < RECORDS and distinct_before == saved_before

        message = next(line for line in stderr.splitlines() if line.startswith("error: "))
        assert f"The push to 127.0.0.1:{port} stopped early" in message
        figures = re.search(r"Of (\d+) records, (\d+) were saved, (\d+) failed, (\d+) were sent without an "
                            r"answer and (\d+) were not sent\.", message)
        assert figures, message
        total, saved, failed, unanswered, not_sent = map(int, figures.groups())
        assert (total, failed) == (RECORDS, 0) and saved + unanswered + not_sent == RECORDS
        assert saved <= saved_before <= saved + unanswered  # an unanswered batch may have been saved
        entries = [json.loads(line) for line in failures.read_text().splitlines()]
        assert len(entries) == RECORDS - saved
        assert Counter(e["code"] for e in entries) == Counter(
            {k: v for k, v in {"Connector.NoAnswer": unanswered, "Connector.NotSent": not_sent}.items() if v})
        assert all(e["record"]["connector_id"] == e["connector_id"] for e in entries)

        service.start()  # the same port: the link store knows this partner by host
        again = failures if rerun == "failures file" else records
        done = captured("push", "--sheet", str(sheet), str(again), "--json",
                        env=client_env(PARTNER_CLIENT_PROGRESS_SECONDS="60"))
        assert done.code == 0, done.stdout + done.stderr
        document = json.loads(done.stdout)
        expected = RECORDS - saved if rerun == "failures file" else RECORDS
        assert (document["saved"], document["failed"], document["not_sent"]) == (expected, 0, 0)
        assert document["actions"]["Inserted"] == RECORDS - saved_before
        if rerun == "records file":  # the saved ones, linked, are sent with their Id and are unchanged
            assert document["actions"]["Unchanged"] + document["actions"]["Updated"] == saved_before
    finally:
        service.kill()
    assert stored_people(database_url) == (RECORDS, RECORDS)
    assert Path(f"{again}.failures.jsonl").read_text() == ""
