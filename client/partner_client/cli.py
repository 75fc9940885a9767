"""``partner-client``: check a partner, link staff and lead sources, push people.

Contract "Turn-up sheet and command line" (a stable interface: extend, never rename):
``partner-client check --sheet FILE`` and ``partner-client push --sheet FILE RECORDS``.
How it writes (literal text, stdout for results and stderr for messages, progress) is
``output``'s; what the input files hold is ``records``'; ``docs/client.md`` is the user's
page. Exit status, the same for every command (``output.ExitCode``): 0 all done; 1 some
records or items failed (see the report); 2 stopped early or could not start (usage, sheet,
input file, partner unreachable, credential refused); re-running is safe.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import textwrap
import time
import traceback
from collections import Counter
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

import click

from . import exceptions as exc
from .generated.service import PartnerClient
from .generated.types import Action
from .linkstore import KINDS, LinkStore
from .output import ExitCode, LogLine, Output, literal
from .push import Pusher, PushReport
from .records import LEAD_SOURCES, PEOPLE, PERSON_FIELDS, STAFF, Columns, InputFormat, parse_rows, read_rows
from .sheet import TurnupSheet, read_sheet
from .sync import ConnectorLeadSource, ConnectorStaff, Outcome, SyncItem, sync_lead_sources, sync_staff

EXIT_STATUS = """\b
Exit status (every command):
  0  all done
  1  the run finished and some records or items failed (see the report)
  2  stopped early or could not start: usage, turn-up sheet, input file,
     partner unreachable, credential refused (a re-run is safe)"""

INPUT_HELP = """\b
Input files: CSV with a header line (UTF-8 with or without a byte-order mark by
default; comma or semicolon separated, sniffed from the header) or JSON Lines
(one JSON object a line; any name not ending in .csv). Column names are the
snake_case names above or the contract's names (FirstName for first_name)."""


def _version() -> str:
    try:
        return metadata.version("partner-soap")
    except metadata.PackageNotFoundError:  # pragma: no cover (run from a source tree)
        return "unknown"


def _safe_url(url) -> str:
    """A link store URL as it may be shown: a password hidden, a SQLite file's path as it is
    (not percent-encoded: ``sheet[`` stays ``sheet[``, the folder the user sees)."""
    try:
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database and not parsed.query:
            return f"sqlite:///{parsed.database}"
        return parsed.render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 (an unparsable URL is shown without its user part)
        parts = urlsplit(url)
        return url if "@" not in parts.netloc else url.replace(parts.netloc, parts.netloc.rpartition("@")[2])


class Run:
    """One command's run: its output streams, its clock, and how it ends."""

    def __init__(self, json_mode: bool, verbose: bool):
        self.output = Output(json_mode)
        self.json_mode = json_mode
        self.verbose = verbose
        self.started = time.monotonic()
        self.host = "the partner"

    def seconds(self) -> float:
        return round(time.monotonic() - self.started, 3)

    def finish(self, code: ExitCode, document: dict) -> NoReturn:
        if self.json_mode:
            status = {ExitCode.DONE: "done", ExitCode.SOME_FAILED: "some failed", ExitCode.STOPPED: "stopped"}
            self.output.document({"status": status[code], "exit_code": int(code), **document,
                                  "duration_seconds": self.seconds()})
        raise SystemExit(int(code))

    def stop(self, message: str, **document) -> NoReturn:
        """End with exit status 2 and the reason on stderr (and in the ``--json`` document)."""
        message = literal(message).rstrip(".") + "."
        self.output.error(message)
        self.finish(ExitCode.STOPPED, {"error": message, **document})

    def reason(self, error: exc.PartnerError) -> str:
        """An error as a sentence that names the partner's host."""
        if isinstance(error, exc.Fault):
            return f"The partner at {self.host} answered {error}"
        if isinstance(error, exc.TransportError) and self.host not in error.message:
            return f"{error.message.rstrip('.')} (the partner at {self.host})"
        return error.message

    @contextmanager
    def guarded(self):
        """A ``PartnerError`` (partner unreachable after retries, credential refused, bad sheet
        or input file) or an unexpected error ends the run with exit status 2 and one message."""
        try:
            yield
        except exc.PartnerError as error:
            self.stop(self.reason(error))
        except KeyboardInterrupt:
            self.stop("Interrupted; what was done is kept, and a re-run is safe")
        except (SystemExit, click.exceptions.ClickException, click.exceptions.Exit):
            raise
        except Exception as error:  # noqa: BLE001 (a bug or an environment problem: one message, exit 2)
            if self.verbose:
                traceback.print_exc()
            self.stop(f"Unexpected {type(error).__name__}: {error} (run with -v for the traceback)")


@contextmanager
def _session(run: Run, sheet_path: str, links_url: str | None, *, connect: bool = True):
    """The sheet, a connected client (or ``None``) and the link store, closed afterwards."""
    client = store = None
    with run.guarded():
        sheet = read_sheet(sheet_path)
        run.host = urlsplit(sheet.url).netloc
        url = links_url or sheet.links_url
        try:
            store = LinkStore.open(url, sheet.partner_key)
        except Exception as error:  # noqa: BLE001 (SQLAlchemy's many ways to fail to open)
            run.stop(f"Cannot open the link store {_safe_url(url)}: {type(error).__name__}: "
                     f"{str(error).splitlines()[0].rstrip('.') if str(error) else ''}. Name a link store the "
                     "command can write with --links, PARTNER_CLIENT_LINKS or [options] links in the sheet")
        try:
            if connect:
                client = PartnerClient.connect(sheet.connection())
            yield sheet, client, store
        finally:
            if client is not None:
                client.close()
            store.close()


@click.group(epilog=EXIT_STATUS)
@click.option("--links", "links_url", envvar="PARTNER_CLIENT_LINKS", default=None,
              help="Link store (SQLAlchemy URL) [env PARTNER_CLIENT_LINKS]; default: the sheet's "
                   "[options] links, else partner-client-links.sqlite3 beside the sheet.")
@click.option("-v", "--verbose", is_flag=True,
              help="Log retries and requests; tracebacks of unexpected errors.")
@click.version_option(_version(), "--version", prog_name="partner-client")
@click.pass_context
def main(ctx: click.Context, links_url: str | None, verbose: bool) -> None:
    """The Connector's side of the partner SOAP contract.

    Results go to standard output, errors, warnings and progress to standard error;
    nothing read from files or the network is interpreted as markup.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(LogLine())
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, handlers=[handler])
    ctx.obj = {"links": links_url, "verbose": verbose}


_SHEET = click.option("--sheet", "sheet_path", envvar="PARTNER_CLIENT_SHEET", required=True,
                      type=click.Path(dir_okay=False),
                      help="The turn-up sheet (TOML) printed by `partner-service turnup` "
                           "[env PARTNER_CLIENT_SHEET].")
_JSON = click.option("--json", "json_mode", is_flag=True,
                     help="Print one JSON document with the result on standard output, instead of tables.")


def _input_options(function):
    function = click.option("--delimiter", default=None,
                            help="CSV: the separator (default: sniffed from the header, comma or semicolon); "
                                 "'tab' for tabs.")(function)
    return click.option("--encoding", default="utf-8-sig", show_default=True,
                        help="The input file's encoding (utf-8-sig reads UTF-8 with or without a BOM; "
                             "e.g. cp1252, latin-1).")(function)


def _form(encoding: str, delimiter: str | None) -> InputFormat:
    if delimiter is not None:
        delimiter = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";"}.get(delimiter, delimiter)
        if len(delimiter) != 1:
            raise click.BadParameter("one character, or 'tab'", param_hint="--delimiter")
    return InputFormat(encoding, delimiter)


def _read_items(run: Run, path: str, columns: Columns, form: InputFormat) -> list[dict[str, str]]:
    """Rows of a staff or lead source file as strings (read before connecting: a bad file
    stops the run before anything is sent)."""
    rows = []
    with run.guarded():
        for row in read_rows(path, columns, form):
            if row.problem:
                run.stop(f"{path}: {row.problem}")
            values = {k: str(row.values.get(k) or "").strip() for k in columns.required}
            if not values["connector_id"]:
                run.stop(f"{path} line {row.line}: connector_id is required")
            rows.append(values)
    return rows


# check ---------------------------------------------------------------------------------------


def _counts(sheet: TurnupSheet, client: PartnerClient) -> dict[str, int | str]:
    counts: dict[str, int | str] = {}
    caps = client.capabilities
    if "GetStaffList" in caps:
        for club_id in sheet.club_ids:
            counts[f"staff in club {club_id}"] = len(client.get_staff_list(club_id=club_id))
    if "GetLeadSources" in caps:
        counts["lead sources"] = len(client.get_lead_sources())
    if not counts:
        # No read operation: a save with Test=true authenticates and writes nothing.
        from .generated.types import LeadSource, Member

        if "SaveLeadSource" in caps:
            client.save_lead_source(LeadSource(name="partner-client check"), test=True)
        else:
            user_type = next(t for t in ("Prospect", "Member", "ExMember") if any(caps.save_operations(t)))
            batch, single = caps.save_operations(user_type)
            record = Member(first_name="Check", last_name="Check")
            client.method(single or batch)(sheet.club_ids[0], record if single else [record], test=True)
        counts["test save"] = "validated"
    return counts


@main.command(epilog=EXIT_STATUS)
@_SHEET
@_JSON
@click.pass_obj
def check(obj: dict, sheet_path: str, json_mode: bool) -> None:
    """Connect, authenticate, list the partner's capabilities, counts and the link store."""
    run = Run(json_mode, obj["verbose"])
    with _session(run, sheet_path, obj["links"]) as (sheet, client, store), run.guarded():
        capabilities = client.capabilities.describe()
        counts = _counts(sheet, client)
        links = store.counts()
        store_url = _safe_url(store.engine.url)
        rows = [["sheet", sheet_path], ["operations", ", ".join(sorted(client.capabilities.operations))],
                *([what, how] for what, how in capabilities.items()),
                *([what, str(count)] for what, count in counts.items()),
                ["link store", store_url],
                *([f"links: {name}", str(count)] for name, count in links.items())]
        run.output.table(f"partner client {sheet.client_id} at {sheet.url}", ["what", "value"], rows)
        run.output.note("ok: connected and authenticated", style="green")
        run.finish(ExitCode.DONE, {"partner": sheet.url, "client_id": sheet.client_id,
                                   "club_ids": list(sheet.club_ids),
                                   "operations": sorted(client.capabilities.operations),
                                   "capabilities": capabilities, "counts": counts,
                                   "link_store": store_url, "links": links})


# sync-staff, sync-lead-sources ------------------------------------------------------------------


def _sync_end(run: Run, title: str, items: list[SyncItem], total: int) -> NoReturn:
    failed = [i for i in items if i.outcome in (Outcome.FAILED, Outcome.AMBIGUOUS)]
    run.output.table(title, ["connector id", "outcome", "partner id", "note"],
                     [[i.connector_id, str(i.outcome), i.partner_id or "", i.message] for i in items])
    if failed:
        run.output.warning(f"{len(failed)} of {total} {title} were not linked (failed or ambiguous); "
                           "see the report")
    run.finish(ExitCode.SOME_FAILED if failed else ExitCode.DONE, _sync_document(items, total))


def _sync_document(items: list[SyncItem], total: int) -> dict:
    return {"counts": dict(Counter(str(i.outcome) for i in items)), "total": total,
            "failures": [{"connector_id": i.connector_id, "outcome": str(i.outcome), "message": i.message}
                         for i in items if i.outcome in (Outcome.FAILED, Outcome.AMBIGUOUS)],
            "not_done": total - len(items),
            "items": [{"connector_id": i.connector_id, "outcome": str(i.outcome), "partner_id": i.partner_id,
                       "message": i.message} for i in items]}


def _sync(run: Run, title: str, total: int, work) -> NoReturn:
    """Run a sync with progress; a failure that stops it reports what was done and what not."""
    items: list[SyncItem] = []
    with run.output.progress(f"sync {title}", total) as progress:
        def done(item: SyncItem) -> None:
            items.append(item)
            progress.advance(1)
        try:
            work(done)
        except exc.PartnerError as error:
            run.stop(f"{run.reason(error).rstrip('.')}. The sync stopped early: {len(items)} of {total} "
                     f"{title} done, {total - len(items)} not done; run it again to finish",
                     **_sync_document(items, total))
    _sync_end(run, title, items, total)


@main.command("sync-staff", epilog=f"""\b
The staff file's columns:
  connector_id  the Connector's staff ID (required)
  email         matched case-insensitively with the partner's staff (required)
Other columns are ignored.

{INPUT_HELP}

{EXIT_STATUS}""")
@_SHEET
@click.argument("staff_file", type=click.Path(exists=True, dir_okay=False))
@_input_options
@_JSON
@click.pass_obj
def sync_staff_command(obj: dict, sheet_path: str, staff_file: str, encoding: str, delimiter: str | None,
                       json_mode: bool) -> None:
    """Link the Connector's staff to the partner's by email."""
    run = Run(json_mode, obj["verbose"])
    rows = _read_items(run, staff_file, STAFF, _form(encoding, delimiter))
    staff = [ConnectorStaff(r["connector_id"], r["email"]) for r in rows]
    with _session(run, sheet_path, obj["links"]) as (_sheet, client, store), run.guarded():
        _sync(run, "staff", len(staff), lambda done: sync_staff(client, store, staff, done))


@main.command("sync-lead-sources", epilog=f"""\b
The lead source file's columns:
  connector_id  the Connector's lead source ID (required)
  name          matched case-insensitively with the partner's, or created (required)
Other columns are ignored.

{INPUT_HELP}

{EXIT_STATUS}""")
@_SHEET
@click.argument("sources_file", type=click.Path(exists=True, dir_okay=False))
@_input_options
@_JSON
@click.pass_obj
def sync_lead_sources_command(obj: dict, sheet_path: str, sources_file: str, encoding: str,
                              delimiter: str | None, json_mode: bool) -> None:
    """Link (or create) the Connector's lead sources, in the mode the partner allows."""
    run = Run(json_mode, obj["verbose"])
    rows = _read_items(run, sources_file, LEAD_SOURCES, _form(encoding, delimiter))
    sources = [ConnectorLeadSource(r["connector_id"], r["name"]) for r in rows]
    with _session(run, sheet_path, obj["links"]) as (_sheet, client, store), run.guarded():
        run.output.note(f"lead source mode: {client.capabilities.lead_source_mode}")
        _sync(run, "lead sources", len(sources), lambda done: sync_lead_sources(client, store, sources, done))


# push --------------------------------------------------------------------------------------------


def _count_records(path: str, form: InputFormat) -> int | None:
    try:
        with open(path, "rb") as handle:
            lines = sum(1 for line in handle if line.strip())
    except OSError:
        return None
    return max(0, lines - 1) if path.lower().endswith(".csv") else lines


@contextmanager
def prompt_handover(seconds: float = 0.0005):
    """While the sender waits for an answer, the building thread holds the GIL; by default
    the sender would get it back only after the default switch interval at each of its reads.
    Process-wide, so only the command line sets it, never the library for its host."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(seconds)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def _write_failures(path: Path, report: PushReport) -> int:
    """Every record not finished (failed, unanswered, not sent), in file order, each with its
    reason and the record itself; written whole, then put in place."""
    entries = sorted([*report.failures, *report.unfinished], key=lambda f: f.line)
    partial = path.with_name(f".{path.name}.partial")
    with partial.open("w", encoding="utf-8") as handle:
        for failure in entries:
            handle.write(json.dumps(failure.as_dict(), ensure_ascii=False, default=str) + "\n")
    os.replace(partial, path)
    return len(entries)


_ACTIONS = ("inserted", "updated", "unchanged", "stale", "failed")

PUSH_EPILOG = f"""\b
The records file's columns (one person a row):
  connector_id    the Connector's ID, sent as ExternalId (required)
  user_type       prospect (default), member or ex-member
  club_id         the partner's club number (optional when the sheet lists one club)
  owner_id        the Connector's staff ID; sent as the linked partner LeadOwnerId
  lead_source_id  the Connector's lead source ID; sent as the linked LeadSourceId
  fields_to_null  field names to clear (FieldName;FieldName or a JSON list)
  person fields   {textwrap.fill(", ".join(PERSON_FIELDS), 78, initial_indent=" " * 18,
                                subsequent_indent=" " * 18)[18:]}
Dates are YYYY-MM-DD, date-times YYYY-MM-DDTHH:MM:SS[+00:00]; gender is Male,
Female, Other or Unspecified; status Active or Inactive. An empty value is left
out (the partner keeps what it has). The failures file (JSON Lines) holds every
record not finished, with its reason: push it, or the same file again, to finish.

{INPUT_HELP}

{EXIT_STATUS}"""


@main.command(epilog=PUSH_EPILOG)
@_SHEET
@click.argument("records_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--failures", "failures_path", type=click.Path(dir_okay=False), default=None,
              help="Where records not finished go (JSON Lines with the reason); "
                   "default RECORDS.failures.jsonl.")
@click.option("--batch-size", type=click.IntRange(1, 200), default=None,
              help="Records per batch call (default: the sheet's options.batch_size or 200).")
@click.option("--test", is_flag=True, help="Validate only (Test=true): the partner writes nothing.")
@_input_options
@_JSON
@click.pass_obj
def push(obj: dict, sheet_path: str, records_file: str, failures_path: str | None,
         batch_size: int | None, test: bool, encoding: str, delimiter: str | None, json_mode: bool) -> None:
    """Save the Connector's people into the partner; safe to run again."""
    run = Run(json_mode, obj["verbose"])
    form = _form(encoding, delimiter)
    failures_file = Path(failures_path or f"{records_file}.failures.jsonl")
    with run.guarded():
        rows = read_rows(records_file, PEOPLE, form)  # the header checked before connecting
    with _session(run, sheet_path, obj["links"]) as (sheet, client, store), run.guarded():
        default_club = sheet.club_ids[0] if len(sheet.club_ids) == 1 else None
        with run.output.progress("push", _count_records(records_file, form)) as progress:
            pusher = Pusher(client, store, batch_size=batch_size or sheet.batch_size, test=test,
                            progress=progress.advance)
            with prompt_handover():
                report = pusher.push(parse_rows(rows, default_club))
        _push_end(run, report, records_file, failures_file, test, client.retry.retried)


def _push_end(run: Run, report: PushReport, records_file: str, failures_file: Path, test: bool,
              retried: int) -> NoReturn:
    stopped = ["no answer", "not sent"] if report.aborted else []
    columns = [*_ACTIONS, *(["validated"] if test else []), *stopped]
    figures = [*(report.count(Action(name.capitalize())) for name in _ACTIONS),
               *([report.count(Action.VALIDATED)] if test else []),
               *([report.unanswered, report.not_sent] if report.aborted else [])]
    run.output.table("push summary", columns, [[str(f) for f in figures]], right=tuple(columns))
    if report.without_owner or report.without_source:
        run.output.note(f"sent without owner (staff not linked): {report.without_owner}; "
                        f"without lead source (not linked): {report.without_source}")
    if retried:
        run.output.note(f"calls repeated after a transient failure: {retried}")
    written = _write_failures(failures_file, report)
    total = report.processed + report.unanswered + report.not_sent
    document = {"records": total, "actions": {a.value: report.count(a) for a in Action},
                "sent": report.sent, "saved": report.saved, "failed": len(report.failures),
                "unanswered": report.unanswered, "not_sent": report.not_sent,
                "without_owner": report.without_owner, "without_source": report.without_source,
                "retried_calls": retried, "failures_file": str(failures_file), "failures_written": written}
    document["rest_of_file_unread"] = report.unread
    if report.unread:
        run.stop(f"The push stopped early: {report.aborted}. Of the {total} records read, {report.saved} were "
                 f"saved, {len(report.failures)} failed, {report.unanswered} were sent without an answer and "
                 f"{report.not_sent} were not sent, and the rest of {records_file} was not read. Correct the "
                 "file (or give its --encoding) and run the same push again to finish: a record is never "
                 "saved twice", **document)
    if report.aborted:
        run.stop(f"The push to {run.host} stopped early: {report.aborted}. Of {total} records, {report.saved} "
                 f"were saved, {len(report.failures)} failed, {report.unanswered} were sent without an answer "
                 f"and {report.not_sent} were not sent. The {written} records not finished are in "
                 f"{failures_file} with the reason; run the same push again (or push that file) to finish: "
                 "a record is never saved twice", **document)
    if report.failures:
        run.output.warning(f"{len(report.failures)} records failed; they are in {failures_file} "
                           "with the reason")
    run.finish(ExitCode.SOME_FAILED if report.failures else ExitCode.DONE, document)


# looking before syncing: staff, lead-sources, links -----------------------------------------------


@main.command("staff", epilog=EXIT_STATUS)
@_SHEET
@click.option("--club", "club_id", type=int, default=None, help="Only this club's staff (default: every club).")
@click.option("--email", default=None, help="Look one staff member up by email (GetStaffByEmail).")
@_JSON
@click.pass_obj
def staff_command(obj: dict, sheet_path: str, club_id: int | None, email: str | None, json_mode: bool) -> None:
    """List the partner's staff (what sync-staff matches against) and the links to them."""
    run = Run(json_mode, obj["verbose"])
    with _session(run, sheet_path, obj["links"]) as (_sheet, client, store), run.guarded():
        if email is not None and "GetStaffByEmail" in client.capabilities:
            try:
                staff = [client.get_staff_by_email(email)]
            except exc.NotFound:
                staff = []
        elif "GetStaffList" in client.capabilities:
            staff = client.get_staff_list(club_id=club_id)
            if email is not None:
                staff = [s for s in staff if s.email.strip().casefold() == email.strip().casefold()]
        else:
            run.stop(f"The partner at {run.host} offers no staff list"
                     + ("" if email else "; give --email to look one up with GetStaffByEmail"
                        if "GetStaffByEmail" in client.capabilities else ""))
        linked = {link.partner_id: link.connector_id for link in store.links("staff")}
        run.output.table("partner staff", ["StaffId", "Email", "FirstName", "LastName", "Active", "ClubIds",
                                           "linked connector id"],
                         [[s.staff_id, s.email, s.first_name, s.last_name, str(s.active),
                           ", ".join(map(str, s.club_ids)), linked.get(s.staff_id, "")] for s in staff])
        run.finish(ExitCode.DONE, {"staff": [
            {"StaffId": s.staff_id, "Email": s.email, "FirstName": s.first_name, "LastName": s.last_name,
             "Active": s.active, "ClubIds": s.club_ids, "connector_id": linked.get(s.staff_id)}
            for s in staff]})


@main.command("lead-sources", epilog=EXIT_STATUS)
@_SHEET
@_JSON
@click.pass_obj
def lead_sources_command(obj: dict, sheet_path: str, json_mode: bool) -> None:
    """List the partner's lead sources (what sync-lead-sources matches against) and the links."""
    run = Run(json_mode, obj["verbose"])
    with _session(run, sheet_path, obj["links"]) as (_sheet, client, store), run.guarded():
        if "GetLeadSources" not in client.capabilities:
            run.stop(f"The partner at {run.host} does not offer GetLeadSources "
                     f"(lead source mode: {client.capabilities.lead_source_mode})")
        sources = client.get_lead_sources()
        linked = {link.partner_id: link.connector_id for link in store.links("lead-sources")}
        run.output.table("partner lead sources", ["LeadSourceId", "Name", "ExternalId", "linked connector id"],
                         [[s.lead_source_id, s.name, s.external_id or "", linked.get(s.lead_source_id, "")]
                          for s in sources])
        run.finish(ExitCode.DONE, {"lead_sources": [
            {"LeadSourceId": s.lead_source_id, "Name": s.name, "ExternalId": s.external_id,
             "connector_id": linked.get(s.lead_source_id)} for s in sources]})


@main.group(epilog=EXIT_STATUS)
def links() -> None:
    """Look at or forget what the link store remembers for the sheet's partner."""


_KIND = click.Choice(sorted(KINDS))


@links.command("list", epilog=EXIT_STATUS)
@_SHEET
@click.option("--kind", type=_KIND, default=None, help="Only this kind of link (default: all).")
@_JSON
@click.pass_obj
def links_list(obj: dict, sheet_path: str, kind: str | None, json_mode: bool) -> None:
    """List the remembered pairs of IDs (Connector's, partner's)."""
    run = Run(json_mode, obj["verbose"])
    with _session(run, sheet_path, obj["links"], connect=False) as (_sheet, _client, store), run.guarded():
        found = {k: store.links(k) for k in ([kind] if kind else sorted(KINDS))}
        rows = [[k, link.connector_id, link.partner_id, link.detail, link.linked_at.isoformat(sep=" ")]
                for k, kind_links in found.items() for link in kind_links]
        run.output.table(f"links in {_safe_url(store.engine.url)}",
                         ["kind", "connector id", "partner id", "detail", "linked at (UTC)"], rows)
        run.finish(ExitCode.DONE, {"links": {
            k: [{"connector_id": link.connector_id, "partner_id": link.partner_id, "detail": link.detail,
                 "linked_at": link.linked_at.isoformat()} for link in kind_links]
            for k, kind_links in found.items()}})


@links.command("forget", epilog=EXIT_STATUS)
@_SHEET
@click.argument("kind", type=_KIND)
@click.argument("connector_ids", nargs=-1)
@click.option("--all", "forget_all", is_flag=True, help="Forget every link of this kind.")
@click.pass_obj
def links_forget(obj: dict, sheet_path: str, kind: str, connector_ids: tuple[str, ...],
                 forget_all: bool) -> None:
    """Forget links (by the Connector's IDs, or --all of a kind); the next sync or push finds them
    again (people by ExternalId, so never a duplicate)."""
    if bool(connector_ids) == forget_all:
        raise click.UsageError("Name the Connector IDs to forget, or give --all.")
    run = Run(False, obj["verbose"])
    with _session(run, sheet_path, obj["links"], connect=False) as (_sheet, _client, store), run.guarded():
        count = store.forget(kind, None if forget_all else connector_ids)
        run.output.note(f"forgot {count} {kind} links")
        run.finish(ExitCode.DONE, {})

