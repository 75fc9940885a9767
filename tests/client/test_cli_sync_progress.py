"""A long sync as ``partner-client`` shows it: progress lines on stderr when not on a terminal
(cron, CI, a log file), rich's live bar on a pseudo-terminal; the report on stdout either way."""

from __future__ import annotations

import re

import pytest

from ..support.cli_process import captured, client_env, in_pty
from .test_cli import write_sheet

SOURCES = 40


@pytest.fixture
def database_url(tmp_path):
    """About the command line's surface: the service on SQLite is enough."""
    return f"sqlite:///{tmp_path / 'partner.sqlite3'}"


@pytest.fixture
def sources_file(tmp_path):
    path = tmp_path / "sources.csv"
    path.write_text("connector_id;name\n" + "".join(f"R{n};Source {n}\n" for n in range(SOURCES)))
    return path


def test_a_sync_not_on_a_terminal_writes_progress_lines_and_its_report_apart(partner, world, tmp_path,
                                                                           sources_file):
    sheet = write_sheet(tmp_path / "sheet.toml", partner(), world.acme_club_ids[:1])
    done = captured("--links", f"sqlite:///{tmp_path / 'links.sqlite3'}", "sync-lead-sources", "--sheet", sheet,
                    str(sources_file), env=client_env(PARTNER_CLIENT_PROGRESS_SECONDS="0"))
    assert done.code == 0, done.stdout + done.stderr
    progress = done.stderr.splitlines()
    line_form = rf"sync lead sources: [\d,]+ of {SOURCES} records, [\d,]+ a second(, about .+ left)?"
    assert progress and all(re.fullmatch(line_form, line) for line in progress), progress
    assert f"{SOURCES} of {SOURCES}" in progress[-1]
    assert "sync lead sources:" not in done.stdout
    assert done.stdout.count("created") == SOURCES and "Source 39" not in done.stderr


def test_a_sync_on_a_terminal_shows_the_live_bar(partner, world, tmp_path, sources_file):
    sheet = write_sheet(tmp_path / "sheet.toml", partner(), world.acme_club_ids[:1])
    done = in_pty("--links", f"sqlite:///{tmp_path / 'links.sqlite3'}", "sync-lead-sources", "--sheet", sheet,
                  str(sources_file), columns=160)
    assert done.code == 0, done.stdout
    assert f"{SOURCES}/{SOURCES}" in done.stdout and "━" in done.stdout
    assert "records, " not in done.stdout  # no progress lines on a terminal
    assert done.stdout.count("created") >= SOURCES
