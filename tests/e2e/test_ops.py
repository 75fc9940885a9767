"""Operator commands on a real database (SQLite and PostgreSQL): staff import and list,
lead-sources list, and start-up refusals that name the mistake."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from partner_service.entrypoints.cli import main
from partner_service.service_layer import lead_sources


@pytest.fixture
def run(database_url, engine, tmp_path):
    """``run("staff", "list", ...)``: the command line against the test database."""
    env = {"PARTNER_DATABASE_URL": database_url, "PARTNER_DATA_DIR": str(tmp_path / "var")}

    def invoke(*args: str, extra_env: dict | None = None):
        return CliRunner().invoke(main, list(args), env={**env, **(extra_env or {})}, catch_exceptions=False)

    return invoke


def _table(output: str) -> list[dict]:
    header, *rows = output.strip().splitlines()
    names = header.split("\t")
    return [dict(zip(names, row.split("\t"), strict=True)) for row in rows]


def _staff(run, client_id: int, *extra: str) -> list[dict]:
    return _table(run("staff", "list", "--client", str(client_id), *extra).stdout)


def test_staff_import_adds_new_people_skips_known_emails_and_can_be_rerun(run, world, tmp_path):
    club_one, club_two = world.acme_club_ids
    csv_file = tmp_path / "staff.csv"
    csv_file.write_text("email,first_name,last_name,clubs,active\n"
                        f"ann.lead@club.com,Ann,Lead,{club_two},true\n"
                        "bob.desk@club.com,Bob,Desk,,no\n"
                        "JStaff@Club.com,John,Again,,\n")
    result = run("staff", "import", "--client", str(world.acme.client_id), str(csv_file))
    assert result.exit_code == 0, result.output
    assert "2 added, 1 skipped" in result.stderr and "skipped JStaff@Club.com" in result.stdout

    staff = {row["email"]: row for row in _staff(run, world.acme.client_id)}
    assert set(staff) == {"jstaff@club.com", "ann.lead@club.com", "bob.desk@club.com"}
    assert staff["ann.lead@club.com"]["clubs"] == str(club_two)
    assert staff["bob.desk@club.com"]["active"] == "false"
    assert staff["bob.desk@club.com"]["clubs"] == f"{club_one},{club_two}"
    in_club_one = _staff(run, world.acme.client_id, "--club", str(club_one))
    assert "ann.lead@club.com" not in {row["email"] for row in in_club_one}

    again = run("staff", "import", "--client", str(world.acme.client_id), str(csv_file))
    assert "0 added, 3 skipped" in again.stderr


def test_a_staff_file_with_mistakes_imports_nothing_and_lists_them_all(run, world, tmp_path):
    csv_file = tmp_path / "staff.csv"
    csv_file.write_text("email,first_name,last_name,clubs\n"
                        "good@club.com,Good,Row,\n"
                        "not-an-email,No,Email,\n"
                        f"other@club.com,,Nameless,{world.other_club_ids[0]}\n"
                        "good@club.com,Good,Twice,\n")
    result = run("staff", "import", "--client", str(world.acme.client_id), str(csv_file))
    assert result.exit_code == 1
    for expected in ("line 3: email is not an email address", "line 4: first_name",
                     f"line 4: clubs [{world.other_club_ids[0]}] are not clubs", "line 5: the email of line 2"):
        assert expected in result.output
    emails = {row["email"] for row in _staff(run, world.acme.client_id)}
    assert emails == {"jstaff@club.com"}


def test_a_staff_file_without_the_needed_columns_says_which(run, world, tmp_path):
    csv_file = tmp_path / "staff.csv"
    csv_file.write_text("mail,first_name\nx@y.z,X\n")
    result = run("staff", "import", "--client", str(world.acme.client_id), str(csv_file))
    assert result.exit_code == 1 and "lacks email, last_name" in result.output


def test_lead_sources_list_shows_the_clients_own(run, world, uow_factory):
    lead_sources.save_lead_source(uow_factory(), world.acme, None, "Walk-in", "EXT-1")
    lead_sources.save_lead_source(uow_factory(), world.other, None, "Radio")
    rows = _table(run("lead-sources", "list", "--client", str(world.acme.client_id)).stdout)
    assert [(row["name"], row["external_id"]) for row in rows] == [("Walk-in", "EXT-1")]


def test_configuration_mistakes_stop_every_command_with_one_line_each(run):
    result = run("staff", "list", "--client", "1",
                 extra_env={"PARTNER_WORKERS": "lots", "PARTNER_LOG_FORMAT": "xml"})
    assert result.exit_code == 1
    assert "PARTNER_WORKERS (environment)" in result.output
    assert "PARTNER_LOG_FORMAT (environment)" in result.output


def test_serve_without_a_certificate_explains_the_choices_and_starts_nothing(run):
    result = run("serve", "--bind", "127.0.0.1:1")
    assert result.exit_code == 1
    assert "TLS needs both tls_cert_file and tls_key_file" in result.output and "--dev" in result.output
