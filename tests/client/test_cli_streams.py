"""``partner-client`` as a process, as an integration engineer runs it: output captured (not a
terminal) and on a pseudo-terminal. Text from data, files and the network is printed
literally; CSV as Excel saves it; one line a message; errors on stderr and results on
stdout; progress lines or the live bar; ``--json``; exit codes; the sheet and the link store."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ..support.cli_process import captured, client_env, free_port, in_pty
from .test_cli import write_sheet


@pytest.fixture
def database_url(tmp_path):
    """These tests are about the command line's surface: the service on SQLite is enough."""
    return f"sqlite:///{tmp_path / 'partner.sqlite3'}"


@pytest.fixture(params=["captured", "pty"])
def client_run(request):
    """``client_run(*args, env=None) -> Done``: with stdout and stderr captured apart, or on a
    pseudo-terminal (everything in ``stdout``)."""
    if request.param == "captured":
        return captured
    return lambda *args, env=None: in_pty(*args, env=env, columns=220)


@pytest.fixture
def sheet(partner, world, tmp_path):
    """A sheet whose path is markup (folder ``sheet[``, file ``old].toml``), for a live partner
    with one club."""
    (tmp_path / "sheet[").mkdir()
    return write_sheet(tmp_path / "sheet[/old].toml", partner(), world.acme_club_ids[:1])


def shown(done) -> str:
    return done.stdout + done.stderr


def test_markup_in_data_file_names_and_faults_is_printed_literally(client_run, sheet, tmp_path):
    links = f"sqlite:///{tmp_path / 'links.sqlite3'}"
    (tmp_path / "people[").mkdir()
    staff = tmp_path / "staff[bold].csv"
    staff.write_text("connector_id,email\nS[/x]1,jstaff@club.com\n[bold]2:smile:,nobody[/x]@club.com\n"
                     "E\x1b[31mX,\n")
    done = client_run("--links", links, "sync-staff", "--sheet", sheet, str(staff))
    assert done.code == 0, shown(done)
    assert "S[/x]1" in done.stdout and "[bold]2:smile:" in done.stdout
    assert "E\\x1b[31mX" in done.stdout and "\x1b[31mX" not in done.stdout  # no terminal control from data
    assert "Traceback" not in shown(done)

    sources = tmp_path / "sources[red].jsonl"
    sources.write_text(json.dumps({"connector_id": "[/x]R", "name": "[red]Radio[/red]"}) + "\n"
                       + json.dumps({"connector_id": "LONG", "name": "[b]" * 40}) + "\n")
    done = client_run("--links", links, "sync-lead-sources", "--sheet", sheet, str(sources))
    assert done.code == 1, shown(done)  # the over-long name fails: its fault names the field in brackets
    assert "[/x]R" in done.stdout and "created" in done.stdout
    assert "[Name]" in done.stdout

    people = tmp_path / "people[/x].jsonl"  # folder ``people[``
    people.write_text(json.dumps({"connector_id": "[bold]p1", "first_name": "[i]Ann", "last_name": "[/x]"})
                      + "\n" + json.dumps({"connector_id": "p2[/x]", "first_name": "[b]No last name"}) + "\n")
    done = client_run("--links", links, "push", "--sheet", sheet, str(people))
    assert done.code == 1, shown(done)
    assert "people[/x].jsonl.failures.jsonl" in shown(done)
    failure = json.loads(Path(f"{people}.failures.jsonl").read_text())
    assert (failure["connector_id"], failure["field"]) == ("p2[/x]", "LastName")

    done = client_run("--links", links, "lead-sources", "--sheet", sheet)
    assert done.code == 0 and "[red]Radio[/red]" in done.stdout and "[/x]R" in done.stdout, shown(done)
    done = client_run("--links", links, "staff", "--sheet", sheet)
    assert done.code == 0 and "jstaff@club.com" in done.stdout and "S[/x]1" in done.stdout, shown(done)
    done = client_run("--links", links, "links", "list", "--sheet", sheet)
    assert done.code == 0 and "[bold]p1" in done.stdout and "[red]Radio[/red]" in done.stdout, shown(done)
    done = client_run("--links", links, "check", "--sheet", sheet)
    assert done.code == 0 and "sheet[/old].toml" in done.stdout, shown(done)
    done = client_run("check", "--sheet", sheet)  # the link store beside the sheet, in the folder ``sheet[``
    assert done.code == 0 and f"sqlite:///{tmp_path / 'sheet['}/partner-client-links.sqlite3" in done.stdout, \
        shown(done)
    done = client_run("check", "--sheet", str(tmp_path / "missing[/x].toml"))
    assert done.code == 2 and "missing[/x].toml" in shown(done) and "Traceback" not in shown(done)


def test_csv_as_excel_saves_it_bom_semicolons_crlf_and_other_encodings(sheet, tmp_path, stored):
    links = f"sqlite:///{tmp_path / 'links.sqlite3'}"
    staff = tmp_path / "staff.csv"
    staff.write_bytes("\ufeffconnector_id;email\r\nS1;JStaff@club.com\r\n".encode())
    done = captured("--links", links, "sync-staff", "--sheet", sheet, str(staff))
    assert done.code == 0 and "linked" in done.stdout, shown(done)

    people = tmp_path / "people.csv"
    people.write_bytes("\ufeffconnector_id;first_name;last_name;gender\r\nc1;Zoë;Ünal;female\r\n".encode())
    done = captured("--links", links, "push", "--sheet", sheet, str(people))
    assert done.code == 0, shown(done)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("ExternalId,FirstName,LastName\nc2,Renée,Côté\n".encode("cp1252"))
    done = captured("--links", links, "push", "--sheet", sheet, str(latin), "--encoding", "cp1252")
    assert done.code == 0, shown(done)
    tabs = tmp_path / "tabs.csv"
    tabs.write_text("connector_id\tfirst_name\tlast_name\nc3\tTab\tSeparated\n")
    done = captured("--links", links, "push", "--sheet", sheet, str(tabs), "--delimiter", "tab")
    assert done.code == 0, shown(done)
    rows = stored()
    assert (rows["c1"]["first_name"], rows["c1"]["gender"]) == ("Zoë", "Female")
    assert rows["c2"]["last_name"] == "Côté" and rows["c3"]["last_name"] == "Separated"

    done = captured("--links", links, "push", "--sheet", sheet, str(latin))  # cp1252 read as UTF-8
    assert done.code == 2 and "--encoding" in done.stderr and done.stdout == "", shown(done)


@pytest.mark.parametrize(("name", "text", "missing"), [
    ("people.csv", "id;first;last\n1;a;b\n", "connector_id"),
    ("staff.csv", "\ufeffemail,name\nx@y.z,X\n", "connector_id"),
    ("sources.csv", "connector_id,title\nR,Radio\n", "name"),
])
def test_a_header_without_the_required_columns_is_one_error_naming_them(sheet, tmp_path, name, text, missing):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    command = {"people.csv": "push", "staff.csv": "sync-staff", "sources.csv": "sync-lead-sources"}[name]
    done = captured(command, "--sheet", sheet, str(path))
    assert done.code == 2 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert f"the header has no column {missing}" in done.stderr
    assert f"The header found: {text.lstrip(chr(0xfeff)).splitlines()[0]!r}" in done.stderr


def test_json_lines_errors_name_the_line(sheet, tmp_path):
    sources = tmp_path / "sources.jsonl"
    sources.write_text('{"connector_id": "R", "name": "Radio"}\n{"connector_id": "T", "name": \n')
    done = captured("sync-lead-sources", "--sheet", sheet, str(sources))
    assert done.code == 2 and "line 2 is not JSON" in done.stderr, shown(done)
    people = tmp_path / "people.jsonl"
    people.write_text('{"connector_id": "a", "first_name": "A", "last_name": "B"}\n[1, 2]\n{nope\n')
    done = captured("push", "--sheet", sheet, str(people))
    assert done.code == 1, shown(done)
    failures = [json.loads(line) for line in Path(f"{people}.failures.jsonl").read_text().splitlines()]
    assert [(f["line"], f["message"].split(" (")[0]) for f in failures] == [
        (2, "line 2 is a JSON list, not an object"), (3, "line 3 is not JSON")]


def prospects(path: Path, count: int) -> None:
    path.write_text("".join(json.dumps({"connector_id": f"P{n}", "first_name": "F", "last_name": f"L{n}"})
                            + "\n" for n in range(count)))


def test_not_a_terminal_one_line_a_message_errors_on_stderr_and_progress_lines(sheet, tmp_path):
    deep = tmp_path / ("a-folder-with-a-long-name-" * 4) / "sheet.toml"
    done = captured("check", "--sheet", str(deep))
    assert done.code == 2 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and len(done.stderr) > 120, done.stderr

    records = tmp_path / "people.jsonl"
    prospects(records, 450)
    done = captured("--links", f"sqlite:///{tmp_path / 'l.sqlite3'}", "push", "--sheet", sheet, str(records),
                    "--batch-size", "50", env=client_env(PARTNER_CLIENT_PROGRESS_SECONDS="0"))
    assert done.code == 0, shown(done)
    progress = done.stderr.splitlines()
    line_form = r"push: [\d,]+ of 450 records, [\d,]+ a second(, about .+ left)?"
    assert progress and all(re.fullmatch(line_form, line) for line in progress), progress
    assert "450 of 450" in progress[-1]
    assert "push:" not in done.stdout and "inserted" in done.stdout


def test_a_terminal_gets_the_live_bar(sheet, tmp_path):
    records = tmp_path / "people.jsonl"
    prospects(records, 120)
    done = in_pty("--links", f"sqlite:///{tmp_path / 'l.sqlite3'}", "push", "--sheet", sheet, str(records),
                  "--batch-size", "20")
    assert done.code == 0, done.stdout
    assert "120/120" in done.stdout and "━" in done.stdout and "push summary" in done.stdout


def test_json_results_for_scripts(sheet, tmp_path):
    links = f"sqlite:///{tmp_path / 'links.sqlite3'}"
    done = captured("--links", links, "check", "--sheet", sheet, "--json")
    document = json.loads(done.stdout)
    assert done.code == 0 and document["status"] == "done" and "GetStaffList" in document["operations"]
    assert document["link_store"] == links and "duration_seconds" in document

    staff = tmp_path / "staff.csv"
    staff.write_text("connector_id,email\nS1,jstaff@club.com\nS2,nobody@club.com\n")
    done = captured("--links", links, "sync-staff", "--sheet", sheet, str(staff), "--json")
    document = json.loads(done.stdout)
    assert (done.code, document["counts"], document["not_done"]) == (0, {"linked": 1, "unmatched": 1}, 0)

    sources = tmp_path / "sources.csv"
    sources.write_text("connector_id,name\nR,Radio\n")
    done = captured("--links", links, "sync-lead-sources", "--sheet", sheet, str(sources), "--json")
    assert (done.code, json.loads(done.stdout)["counts"]) == (0, {"created": 1})

    records = tmp_path / "people.jsonl"
    records.write_text('{"connector_id": "a", "first_name": "A", "last_name": "B", "owner_id": "S1"}\n'
                       '{"connector_id": "b", "first_name": "No last name"}\n')
    done = captured("--links", links, "push", "--sheet", sheet, str(records), "--json")
    document = json.loads(done.stdout)
    assert done.code == 1 and document["status"] == "some failed" and document["exit_code"] == 1
    assert (document["sent"], document["saved"], document["failed"], document["not_sent"]) == (2, 1, 1, 0)
    assert document["actions"]["Inserted"] == 1 and "records failed" in done.stderr

    closed = write_sheet(tmp_path / "closed.toml", type("S", (), {"url": f"http://127.0.0.1:{free_port()}/soap",
                                                                 "username": "acme"}), [1], attempts=1)
    done = captured("--links", links, "push", "--sheet", closed, str(records), "--json")
    document = json.loads(done.stdout)
    assert done.code == 2 and document["status"] == "stopped"
    assert "127.0.0.1" in document["error"] and "refused" in document["error"], document


def test_help_version_sheet_from_the_environment_and_links_beside_the_sheet(partner, world, tmp_path):
    help_text = captured("push", "--help").stdout
    for words in ("connector_id", "birth_date", "fields_to_null", "Exit status", "--encoding", "--delimiter"):
        assert words in help_text
    assert "email" in captured("sync-staff", "--help").stdout
    version = captured("--version")
    assert version.code == 0 and re.search(r"partner-client, version \d", version.stdout)

    folder = tmp_path / "acme"
    folder.mkdir()
    sheet = write_sheet(folder / "sheet.toml", partner(), world.acme_club_ids[:1])
    env = client_env(PARTNER_CLIENT_SHEET=sheet)
    done = captured("check", env=env)
    assert done.code == 0, shown(done)
    assert f"sqlite:///{folder.resolve() / 'partner-client-links.sqlite3'}" in done.stdout
    assert (folder / "partner-client-links.sqlite3").exists()

    staff = tmp_path / "staff.csv"
    staff.write_text("connector_id,email\nS1,jstaff@club.com\n")
    assert captured("sync-staff", str(staff), env=env).code == 0
    assert "S1" in captured("links", "list", "--kind", "staff", env=env).stdout
    forgot = captured("links", "forget", "staff", "S1", env=env)
    assert forgot.code == 0 and "forgot 1 staff links" in forgot.stdout
    assert "S1" not in captured("links", "list", env=env).stdout

    Path(sheet).write_text(Path(sheet).read_text() + 'links = "elsewhere.sqlite3"\n')
    assert "elsewhere.sqlite3" in captured("check", env=env).stdout
    assert (folder / "elsewhere.sqlite3").exists()


class WsdlAnswers:
    """WSGI middleware answering ``GET ?wsdl`` with the planned HTTP statuses first."""

    def __init__(self, app, statuses):
        self.app, self.statuses, self.reads = app, list(statuses), 0

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] == "GET" and environ.get("QUERY_STRING") == "wsdl":
            self.reads += 1
            if self.statuses:
                status = self.statuses.pop(0)
                start_response(f"{status} Planned", [("Content-Type", "text/plain"), ("Content-Length", "2")])
                return [b"no"]
        return self.app(environ, start_response)


def test_the_wsdl_read_is_retried_and_its_404_hint_is_shown_whole(partner, world, tmp_path):
    holder = {}

    def wrap(statuses):
        def make(app):
            holder["app"] = WsdlAnswers(app, statuses)
            return holder["app"]
        return make

    links = f"sqlite:///{tmp_path / 'l.sqlite3'}"
    sheet = write_sheet(tmp_path / "retried.toml", partner(wrap=wrap([503, 502])), world.acme_club_ids[:1])
    done = captured("--links", links, "check", "--sheet", sheet)
    assert done.code == 0 and holder["app"].reads == 3, shown(done)
    retries = [line for line in done.stderr.splitlines() if "try " in line]
    assert len(retries) == 2 and all(line.startswith("warning: GET ?wsdl: ") for line in retries), done.stderr
    assert "HTTP 503" in retries[0] and "try 2 of " in retries[0] and "HTTP 502" in retries[1]

    settings = partner(wrap=wrap([404] * 10))
    sheet = write_sheet(tmp_path / "hidden.toml", settings, world.acme_club_ids[:1])
    done = captured("--links", links, "check", "--sheet", sheet)
    host = settings.url.split("/")[2]
    assert done.code == 2 and holder["app"].reads == 1, shown(done)  # a 404 is not repeated
    assert f"{host} answered HTTP 404; set [options] operations in the turn-up sheet" in done.stderr


def test_on_a_terminal_errors_stops_and_json_read_the_same(sheet, tmp_path):
    people = tmp_path / "people.csv"
    people.write_text("id;first;last\n1;a;b\n")
    done = in_pty("push", "--sheet", sheet, str(people), columns=80)
    assert done.code == 2 and "the header has no column connector_id" in done.stdout, done.stdout
    assert "Traceback" not in done.stdout

    records = tmp_path / "people.jsonl"
    prospects(records, 3)
    port = free_port()
    closed = write_sheet(tmp_path / "closed.toml", type("S", (), {"url": f"http://127.0.0.1:{port}/soap",
                                                                 "username": "acme"}), [1], attempts=1,
                         operations=["SaveProspects", "SaveProspect"])  # no ?wsdl: the push itself starts
    done = in_pty("--links", f"sqlite:///{tmp_path / 'l.sqlite3'}", "push", "--sheet", closed, str(records),
                  columns=80)
    flat = re.sub(r"\s+", " ", re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", done.stdout))
    assert done.code == 2 and f"The push to 127.0.0.1:{port} stopped early" in flat, flat
    assert "Of 3 records, 0 were saved, 0 failed, 3 were sent without an answer and 0 were not sent" in flat

    done = in_pty("--links", f"sqlite:///{tmp_path / 'l.sqlite3'}", "check", "--sheet", sheet, "--json")
    assert done.code == 0 and json.loads(done.stdout)["status"] == "done", done.stdout
