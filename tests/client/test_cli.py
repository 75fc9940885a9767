"""``partner-client`` against the live service: check, sync-staff, sync-lead-sources, push
(10,000 prospects, then a re-run that answers Unchanged for every one), interruption."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from partner_client.cli import main
from partner_client.linkstore import LinkStore
from partner_client.sheet import read_sheet

from .conftest import FailsOnPurpose


def write_sheet(path, settings, club_ids, **options) -> str:
    lines = ["client_id = 1", f"club_ids = {list(club_ids)}", f'url = "{settings.url}"', 'scheme = "http"',
             f'username = "{settings.username}"', 'password = "unused"', 'password_type = "digest"', "",
             "[options]", "backoff = 0.01", *(f"{k} = {json.dumps(v)}" for k, v in options.items())]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def summary(output: str) -> dict[str, int]:
    """The push summary table as {column: count}."""
    lines = output.split("push summary", 1)[1].splitlines()
    header = next(n for n, line in enumerate(lines) if "inserted" in line)
    values = next(line for line in lines[header + 1:] if any(c.isdigit() for c in line))
    cells = lambda line: [c.strip() for c in re.split("[│┃]", line)[1:-1]]  # noqa: E731 (rich's borders)
    return {name: int(value) for name, value in zip(cells(lines[header]), cells(values), strict=True)}


def run(*args):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture
def cli(partner, world, tmp_path):
    """``cli(operations=None, wrap=None) -> (sheet path, links URL)`` for a live partner."""
    def make(operations=None, wrap=None, clubs=None, **options):
        clubs = clubs or world.acme_club_ids[:1]
        sheet = write_sheet(tmp_path / "sheet.toml", partner(operations, wrap), clubs, **options)
        return sheet, f"sqlite:///{tmp_path / 'links.sqlite3'}"
    return make


def test_check_lists_capabilities_and_counts(cli, world):
    sheet, links = cli(clubs=world.acme_club_ids)
    code, output = run("--links", links, "check", "--sheet", sheet)
    assert code == 0, output
    assert "GetStaffList" in output and "list and create" in output
    assert f"staff in club {world.acme_club_ids[1]}" in output
    assert "connected and authenticated" in output


def test_check_with_a_refused_credential_exits_2(partner, world, tmp_path):
    sheet = write_sheet(tmp_path / "sheet.toml", partner(username="stranger"), world.acme_club_ids)
    code, output = run("--links", f"sqlite:///{tmp_path / 'l.sqlite3'}", "check", "--sheet", sheet)
    assert code == 2
    assert "FailedAuthentication" in output


def test_check_of_a_create_only_partner_authenticates_with_a_test_save(cli):
    sheet, links = cli(["SaveLeadSource", "SaveProspect"])
    code, output = run("--links", links, "check", "--sheet", sheet)
    assert code == 0, output
    assert "create only" in output and "validated" in output


def test_sync_commands_report_each_item(cli, tmp_path):
    sheet, links = cli(["GetStaffList", "GetLeadSources", "SaveProspect"])
    staff = tmp_path / "staff.csv"
    staff.write_text("connector_id,email\n1111, JStaff@club.com\n2222,nobody@club.com\n")
    code, output = run("--links", links, "sync-staff", "--sheet", sheet, str(staff))
    assert code == 0, output
    assert "linked" in output and "unmatched" in output
    sources = tmp_path / "sources.jsonl"
    sources.write_text('{"connector_id": "RADIO", "name": "Radio"}\n')
    code, output = run("--links", links, "sync-lead-sources", "--sheet", sheet, str(sources))
    assert code == 1 and "list only" in output and "failed" in output


def prospects(path, count, owner=None):
    with path.open("w") as handle:
        for n in range(count):
            handle.write(json.dumps({"connector_id": f"IT-{n:05d}", "first_name": f"First{n}",
                                     "last_name": f"Last{n}", "email": f"p{n}@example.com",
                                     "birth_date": "1990-01-01", "gender": "Female", "status": "Active",
                                     "owner_id": owner, "city": "Springfield"}) + "\n")


@pytest.mark.slow
def test_push_10000_prospects_links_all_and_a_rerun_is_unchanged(cli, tmp_path, world, stored):
    sheet, links = cli()
    records = tmp_path / "prospects.jsonl"
    prospects(records, 10_000, owner="1111")
    started = time.monotonic()
    code, output = run("--links", links, "push", "--sheet", sheet, str(records))
    first = time.monotonic() - started
    assert code == 0, output
    assert summary(output) == {"inserted": 10_000, "updated": 0, "unchanged": 0, "stale": 0, "failed": 0}
    assert "without owner (staff not linked): 10000" in output
    store = LinkStore.open(links, read_sheet(sheet).partner_key)
    linked = store.people(f"IT-{n:05d}" for n in range(10_000))
    store.close()
    people = stored()
    assert len(linked) == 10_000 == len(people)
    assert all(linked[k].partner_id == str(v["id"]) for k, v in people.items())
    code, output = run("--links", links, "push", "--sheet", sheet, str(records))
    assert code == 0, output
    assert summary(output) == {"inserted": 0, "updated": 0, "unchanged": 10_000, "stale": 0, "failed": 0}
    assert (tmp_path / "prospects.jsonl.failures.jsonl").read_text() == ""
    print(f"first push {first:.1f}s")


def test_push_writes_failures_with_reasons_and_exits_1(cli, tmp_path):
    sheet, links = cli()
    records = tmp_path / "people.csv"
    records.write_text("connector_id,user_type,first_name,last_name,birth_date\n"
                       "a1,prospect,Ann,Able,1990-01-01\n"
                       "a2,member,Bob,,\n"
                       "a3,ex-member,Cy,Cole,not-a-date\n")
    failures = tmp_path / "failed.jsonl"
    code, output = run("--links", links, "push", "--sheet", sheet, str(records), "--failures", str(failures))
    assert code == 1, output
    assert summary(output) == {"inserted": 1, "updated": 0, "unchanged": 0, "stale": 0, "failed": 2}
    rows = [json.loads(line) for line in failures.read_text().splitlines()]
    assert [(r["line"], r["connector_id"], r["field"]) for r in rows] == [(3, "a2", "LastName"),
                                                                          (4, "a3", "BirthDate")]
    assert rows[1]["message"] == "BirthDate must be a date (YYYY-MM-DD)"
    assert rows[1]["record"]["birth_date"] == "not-a-date"  # the record itself: the file can be pushed again


def test_an_interrupted_push_exits_2_and_a_rerun_finishes(cli, tmp_path, stored):
    holder = {}

    def wrap(app):
        holder["app"] = FailsOnPurpose(app, ["pass"] * 2 + ["unavailable"] * 50)
        return holder["app"]

    sheet, links = cli(wrap=wrap, attempts=2, batch_size=10)
    records = tmp_path / "prospects.jsonl"
    prospects(records, 50)
    code, output = run("--links", links, "push", "--sheet", sheet, str(records))
    assert code == 2 and "stopped early" in output
    assert ("Of 50 records, 20 were saved, 0 failed, 10 were sent without an answer and 20 were not sent"
            in output)
    assert summary(output) == {"inserted": 20, "updated": 0, "unchanged": 0, "stale": 0, "failed": 0,
                               "no answer": 10, "not sent": 20}
    assert len(stored()) == 20
    failures = Path(f"{records}.failures.jsonl")
    entries = [json.loads(line) for line in failures.read_text().splitlines()]
    assert [e["line"] for e in entries] == list(range(21, 51))
    assert {e["code"] for e in entries[:10]} == {"Connector.NoAnswer"}
    assert {e["code"] for e in entries[10:]} == {"Connector.NotSent"}
    assert "Server.Unavailable" in entries[0]["message"] and "not sent" in entries[-1]["message"]
    holder["app"].plan.clear()
    code, output = run("--links", links, "push", "--sheet", sheet, str(failures))  # the failures file itself
    assert code == 0, output
    assert summary(output)["inserted"] == 30
    assert len(stored()) == 50
    code, output = run("--links", links, "push", "--sheet", sheet, str(records))  # or the same file again
    assert code == 0 and summary(output)["unchanged"] == 50, output


def test_the_installed_command_leaves_its_report_failures_and_links_complete(cli, tmp_path, stored):
    # The console script (``partner_client.__main__``) skips the interpreter's last garbage
    # collections at exit: whatever it wrote must be whole all the same.
    sheet, links = cli(batch_size=7)
    records = tmp_path / "prospects.jsonl"
    prospects(records, 30)
    with records.open("a") as handle:
        handle.write(json.dumps({"connector_id": "IT-bad", "first_name": "No last name"}) + "\n")
    command = Path(sys.executable).with_name("partner-client")
    done = subprocess.run([str(command), "--links", links, "push", "--sheet", sheet, str(records)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert summary(done.stdout) == {"inserted": 30, "updated": 0, "unchanged": 0, "stale": 0, "failed": 1}
    failures = Path(f"{records}.failures.jsonl").read_text().splitlines()
    assert [json.loads(line)["connector_id"] for line in failures] == ["IT-bad"]
    store = LinkStore.open(links, read_sheet(sheet).partner_key)
    try:
        linked = store.people(f"IT-{n:05d}" for n in range(30))
    finally:
        store.close()
    assert {k: v.partner_id for k, v in linked.items()} == {
        k: str(row["id"]) for k, row in stored().items() if k != "IT-bad"}


def test_a_sync_stopped_early_says_what_was_done_and_what_not(cli, tmp_path):
    def wrap(app):
        return FailsOnPurpose(app, ["pass"] + ["unavailable"] * 20)

    sheet, links = cli(["GetStaffByEmail", "SaveProspect"], wrap=wrap, attempts=1)
    staff = tmp_path / "staff.csv"
    staff.write_text("connector_id,email\n1111,jstaff@club.com\n2222,a@club.com\n3333,b@club.com\n")
    result = CliRunner().invoke(main, ["--links", links, "sync-staff", "--sheet", sheet, str(staff), "--json"],
                                catch_exceptions=False)
    assert result.exit_code == 2, result.output
    document = json.loads(result.stdout)
    assert (document["status"], document["counts"], document["not_done"]) == ("stopped", {"linked": 1}, 2)
    assert "The sync stopped early: 1 of 3 staff done, 2 not done" in result.stderr
    assert "Server.Unavailable" in result.stderr
