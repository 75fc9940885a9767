"""A records file that cannot be read to its end (a line in another encoding, as when two
exports are pasted together): ``push`` saves what comes before, names the exact line, counts
what was read and what not, and a re-run of the corrected file finishes the job once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..support.cli_process import captured
from .test_cli import summary, write_sheet

RECORDS = 600
BAD = 401  # the file's line (the header is line 1)


@pytest.fixture
def database_url(tmp_path):
    """About the command line's surface: the service on SQLite is enough."""
    return f"sqlite:///{tmp_path / 'partner.sqlite3'}"


def people_csv(path: Path, encode_bad_line: str) -> None:
    lines = [b"connector_id;first_name;last_name\n"]
    lines += [f"U{n};Ren\u00e9e {n};Last\n".encode(encode_bad_line if n + 2 == BAD else "utf-8")
              for n in range(RECORDS)]
    path.write_bytes(b"".join(lines))


def test_a_push_stopped_by_an_unreadable_line_counts_what_was_read_and_a_rerun_finishes(
        partner, world, tmp_path, stored):
    sheet = write_sheet(tmp_path / "sheet.toml", partner(), world.acme_club_ids[:1])
    links = f"sqlite:///{tmp_path / 'links.sqlite3'}"
    records = tmp_path / "people.csv"
    people_csv(records, "cp1252")
    done = captured("--links", links, "push", "--sheet", sheet, str(records), "--batch-size", "50")
    assert done.code == 2, done.stdout + done.stderr
    error = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(error) == 1 and f"line {BAD} is not utf-8-sig text" in error[0], done.stderr
    assert f"the rest of {records} was not read" in error[0] and "run the same push again" in error[0]
    table = summary(done.stdout)
    before = BAD - 2  # the records before the bad line
    assert 0 < table["inserted"] < before and table["failed"] == 0
    assert table["inserted"] + table["no answer"] + table["not sent"] <= before
    assert len(stored()) == table["inserted"]
    entries = [json.loads(line) for line in Path(f"{records}.failures.jsonl").read_text().splitlines()]
    assert len(entries) == table["not sent"] and all(e["code"] == "Connector.NotSent" for e in entries)

    people_csv(records, "utf-8")
    done = captured("--links", links, "push", "--sheet", sheet, str(records), "--json")
    document = json.loads(done.stdout)
    assert done.code == 0 and not document["rest_of_file_unread"], done.stdout + done.stderr
    assert document["actions"]["Inserted"] == RECORDS - table["inserted"]
    rows = stored()
    assert len(rows) == RECORDS and rows[f"U{BAD - 2}"]["first_name"] == f"Ren\u00e9e {BAD - 2}"
