"""``partner-service staff import|list`` and ``partner-service lead-sources list``.

Operator commands for a client's own staff and lead sources (the Connector never creates
staff). Lists are tab-separated with a header line, for people and for ``cut``/``awk``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import click

from ..config import Settings
from ..domain.model import Principal
from ..service_layer import lead_sources as lead_source_service
from ..service_layer import staff as staff_service
from ..service_layer.staff_import import StaffRow, import_staff
from .cli_support import open_uow, run

CSV_COLUMNS = ("email", "first_name", "last_name")
_TRUE, _FALSE = {"", "1", "true", "yes", "y", "active"}, {"0", "false", "no", "n", "inactive"}


def _clubs(text: str, line: int) -> tuple[int, ...] | None:
    parts = [p for p in text.replace(";", " ").replace(",", " ").split() if p]
    if not all(p.isdigit() for p in parts):
        raise click.ClickException(f"line {line}: clubs must be club numbers separated by spaces or ';'")
    return tuple(int(p) for p in parts) or None


def _active(text: str, line: int) -> bool:
    value = text.strip().lower()
    if value not in _TRUE | _FALSE:
        raise click.ClickException(f"line {line}: active must be true or false")
    return value in _TRUE


def read_staff_csv(path: Path) -> list[StaffRow]:
    """Rows of a CSV with a header: email, first_name, last_name, and optionally clubs
    (club numbers separated by spaces or ';'; empty: every club) and active (true/false)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [name.strip().lower() for name in reader.fieldnames or []]
            missing = [c for c in CSV_COLUMNS if c not in header]
            if missing:
                raise click.ClickException(f"{path}: the header line lacks {', '.join(missing)} "
                                           f"(columns: email,first_name,last_name[,clubs][,active]).")
            rows = []
            for record in reader:
                values = {(k or "").strip().lower(): (v or "").strip() for k, v in record.items()
                          if isinstance(v, str)}
                line = reader.line_num
                text = [values.get(column, "") for column in (*CSV_COLUMNS, "clubs", "active")]
                rows.append(StaffRow(line, *text[:3], _clubs(text[3], line), _active(text[4], line)))
            return rows
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise click.ClickException(f"{path}: cannot be read as UTF-8 CSV ({error}).") from None


@click.command("import")
@click.option("--client", "client_id", type=int, required=True)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def staff_import(settings: Settings, client_id: int, file: Path) -> None:
    """Add the staff listed in FILE (CSV) to a client; all or nothing; known emails are skipped."""
    rows = read_staff_csv(file)
    report = run(lambda: import_staff(open_uow(settings), client_id, rows))
    for view in report.added:
        click.echo(f"added {view.id} {view.email} clubs {','.join(map(str, view.club_ids))}")
    for email in report.skipped:
        click.echo(f"skipped {email} (the client already has it)")
    click.echo(f"{len(report.added)} added, {len(report.skipped)} skipped", err=True)


@click.command("list")
@click.option("--client", "client_id", type=int, required=True)
@click.option("--club", "club_id", type=int, default=None, help="Only this club's staff.")
@click.pass_obj
def staff_list(settings: Settings, client_id: int, club_id: int | None) -> None:
    """A client's staff: ID, email, names, active, clubs."""
    views = run(lambda: staff_service.list_staff(open_uow(settings), Principal(client_id), club_id))
    click.echo("id\temail\tfirst_name\tlast_name\tactive\tclubs")
    for v in views:
        club_ids = ",".join(map(str, v.club_ids))
        click.echo(f"{v.id}\t{v.email}\t{v.first_name}\t{v.last_name}\t{str(v.active).lower()}\t{club_ids}")


@click.group("lead-sources")
def lead_sources() -> None:
    """A client's lead sources (the Connector lists and creates them)."""


@lead_sources.command("list")
@click.option("--client", "client_id", type=int, required=True)
@click.pass_obj
def lead_sources_list(settings: Settings, client_id: int) -> None:
    """A client's lead sources: ID, name, the Connector's external ID."""
    views = run(lambda: lead_source_service.list_lead_sources(open_uow(settings), Principal(client_id)))
    click.echo("id\tname\texternal_id")
    for v in views:
        click.echo(f"{v.id}\t{v.name}\t{v.external_id or ''}")
