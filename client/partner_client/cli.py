"""``partner-client``: check a partner, link staff and lead sources, push people.

Contract "Turn-up sheet and command line" (a stable interface: extend, never rename):
``partner-client check --sheet FILE`` and ``partner-client push --sheet FILE RECORDS``.
Exit status: 0 all done; 1 some records or items failed (see the report); 2 the run
stopped early (partner unreachable, credential refused, bad sheet); re-running is safe.
"""

from __future__ import annotations

import json
import logging
import sys
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from . import exceptions as exc
from .generated.service import PartnerClient
from .generated.types import Action
from .linkstore import LinkStore
from .push import Pusher
from .records import read_records, read_rows
from .sheet import TurnupSheet, read_sheet
from .sync import ConnectorLeadSource, ConnectorStaff, Outcome, SyncItem, sync_lead_sources, sync_staff

console = Console(stderr=False, highlight=False)
_SHEET = click.option("--sheet", "sheet_path", required=True, type=click.Path(dir_okay=False),
                      help="The turn-up sheet (TOML) printed by `partner-service turnup`.")


def _stop(message: str) -> None:
    console.print(f"[red]error:[/red] {message}")
    raise SystemExit(2)


@contextmanager
def _session(sheet_path: str, links_url: str | None):
    """The sheet, a connected client and the link store.

    A ``PartnerError`` escaping the command's body (partner unreachable after retries,
    credential refused, bad sheet) ends the run with exit status 2 and its message.
    """
    client = store = None
    try:
        sheet = read_sheet(sheet_path)
        client = PartnerClient.connect(sheet.connection())
        store = LinkStore.open(links_url, sheet.partner_key)
        yield sheet, client, store
    except exc.PartnerError as error:
        _stop(str(error))
    finally:
        if client is not None:
            client.close()
        if store is not None:
            store.close()


@click.group()
@click.option("--links", "links_url", envvar="PARTNER_CLIENT_LINKS", default=None,
              help="Link store (SQLAlchemy URL); default sqlite file var/partner-client-links.sqlite3.")
@click.option("-v", "--verbose", is_flag=True, help="Log retries and requests.")
@click.pass_context
def main(ctx: click.Context, links_url: str | None, verbose: bool) -> None:
    """The Connector's side of the partner SOAP contract."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(message)s")
    ctx.obj = links_url


def _counts(sheet: TurnupSheet, client: PartnerClient) -> list[tuple[str, str]]:
    rows = []
    caps = client.capabilities
    if "GetStaffList" in caps:
        for club_id in sheet.club_ids:
            rows.append((f"staff in club {club_id}", str(len(client.get_staff_list(club_id=club_id)))))
    if "GetLeadSources" in caps:
        rows.append(("lead sources", str(len(client.get_lead_sources()))))
    if not rows:
        # No read operation: a save with Test=true authenticates and writes nothing.
        from .generated.types import LeadSource, Member

        if "SaveLeadSource" in caps:
            client.save_lead_source(LeadSource(name="partner-client check"), test=True)
        else:
            user_type = next(t for t in ("Prospect", "Member", "ExMember") if any(caps.save_operations(t)))
            batch, single = caps.save_operations(user_type)
            record = Member(first_name="Check", last_name="Check")
            client.method(single or batch)(sheet.club_ids[0], record if single else [record], test=True)
        rows.append(("test save", "validated"))
    return rows


@main.command()
@_SHEET
@click.pass_obj
def check(links_url: str | None, sheet_path: str) -> None:
    """Connect, authenticate, list the partner's capabilities and counts."""
    with _session(sheet_path, links_url) as (sheet, client, store):
        table = Table(title=f"partner client {sheet.client_id} at {sheet.url}")
        table.add_column("what")
        table.add_column("value")
        table.add_row("operations", ", ".join(sorted(client.capabilities.operations)))
        for what, how in client.capabilities.describe().items():
            table.add_row(what, how)
        for what, count in _counts(sheet, client):
            table.add_row(what, count)
        for name, count in store.counts().items():
            table.add_row(f"links: {name}", str(count))
        console.print(table)
        console.print("[green]ok[/green]: connected and authenticated")


def _items_table(title: str, items: list[SyncItem]) -> int:
    table = Table(title=title)
    for column in ("connector id", "outcome", "partner id", "note"):
        table.add_column(column)
    for item in items:
        table.add_row(item.connector_id, str(item.outcome), item.partner_id or "", item.message)
    console.print(table)
    failed = [i for i in items if i.outcome in (Outcome.FAILED, Outcome.AMBIGUOUS)]
    return 1 if failed else 0


def _rows(path: str, *keys: str) -> list[dict]:
    """Rows of a CSV/JSON Lines file as strings; the first key (the Connector's ID) is required."""
    rows = []
    for line, row in read_rows(path):
        if not str(row.get(keys[0]) or "").strip():
            _stop(f"{path} line {line}: {keys[0]} is required")
        rows.append({k: str(row.get(k) or "").strip() for k in keys})
    return rows


@main.command("sync-staff")
@_SHEET
@click.argument("staff_file", type=click.Path(exists=True, dir_okay=False))
@click.pass_obj
def sync_staff_command(links_url: str | None, sheet_path: str, staff_file: str) -> None:
    """Link the Connector's staff (CSV/JSON Lines: connector_id, email) to the partner's by email."""
    staff = [ConnectorStaff(r["connector_id"], r["email"]) for r in _rows(staff_file, "connector_id", "email")]
    with _session(sheet_path, links_url) as (_sheet, client, store):
        items = sync_staff(client, store, staff)
        raise SystemExit(_items_table("staff", items))


@main.command("sync-lead-sources")
@_SHEET
@click.argument("sources_file", type=click.Path(exists=True, dir_okay=False))
@click.pass_obj
def sync_lead_sources_command(links_url: str | None, sheet_path: str, sources_file: str) -> None:
    """Link (or create) the Connector's lead sources (CSV/JSON Lines: connector_id, name)."""
    sources = [ConnectorLeadSource(r["connector_id"], r["name"])
               for r in _rows(sources_file, "connector_id", "name")]
    with _session(sheet_path, links_url) as (_sheet, client, store):
        console.print(f"lead source mode: {client.capabilities.lead_source_mode}")
        items = sync_lead_sources(client, store, sources)
        raise SystemExit(_items_table("lead sources", items))


def _count_lines(path: str) -> int:
    with open(path, "rb") as handle:
        lines = sum(1 for line in handle if line.strip())
    return lines - 1 if path.lower().endswith(".csv") else lines


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


@main.command()
@_SHEET
@click.argument("records_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--failures", "failures_path", type=click.Path(dir_okay=False), default=None,
              help="Where failed records go (JSON Lines with the reason); default RECORDS.failures.jsonl.")
@click.option("--batch-size", type=click.IntRange(1, 200), default=None,
              help="Records per batch call (default: the sheet's options.batch_size or 200).")
@click.option("--test", is_flag=True, help="Validate only (Test=true): the partner writes nothing.")
@click.pass_obj
def push(links_url: str | None, sheet_path: str, records_file: str, failures_path: str | None,
         batch_size: int | None, test: bool) -> None:
    """Save the Connector's people (CSV or JSON Lines) into the partner; safe to run again."""
    failures_file = Path(failures_path or f"{records_file}.failures.jsonl")
    with _session(sheet_path, links_url) as (sheet, client, store):
        default_club = sheet.club_ids[0] if len(sheet.club_ids) == 1 else None
        columns = [TextColumn("pushing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
        with Progress(*columns, console=console, transient=False) as progress:
            task = progress.add_task("push", total=_count_lines(records_file))
            pusher = Pusher(client, store, batch_size=batch_size or sheet.batch_size, test=test,
                            progress=lambda n: progress.advance(task, n))
            with prompt_handover():
                report = pusher.push(read_records(records_file, default_club))
        table = Table(title="push summary")
        for column in ("inserted", "updated", "unchanged", "stale", "failed", *(["validated"] if test else [])):
            table.add_column(column, justify="right")
        table.add_row(*(str(report.count(Action(name.capitalize())))
                        for name in ("inserted", "updated", "unchanged", "stale", "failed",
                                     *(["validated"] if test else []))))
        console.print(table)
        if report.without_owner or report.without_source:
            console.print(f"sent without owner (staff not linked): {report.without_owner}; "
                          f"without lead source (not linked): {report.without_source}")
        if client.retry.retried:
            console.print(f"calls repeated after a transient failure: {client.retry.retried}")
        with failures_file.open("w", encoding="utf-8") as handle:
            for failure in sorted(report.failures, key=lambda f: f.line):
                handle.write(json.dumps(failure.as_dict()) + "\n")
        if report.failures:
            console.print(f"{len(report.failures)} failed records written to {failures_file}")
        if report.aborted:
            _stop(f"stopped early: {report.aborted}; links so far are kept, run again to resume")
        raise SystemExit(1 if report.failures else 0)
