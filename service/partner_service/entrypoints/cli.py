"""``partner-service``: serve, turn up clients, manage staff, export the WSDL, migrate.

The names and options here are a stable interface (contract: "Turn-up sheet and command
line"): extend them, never rename them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from lxml import etree

from ..adapters import migrate
from ..adapters.db import make_engine
from ..config import ConfigError, Settings
from ..service_layer import tenants
from .cli_support import open_uow, run


def _configuration_error(error: ConfigError) -> click.ClickException:
    return click.ClickException("the configuration has mistakes:\n  " + "\n  ".join(error.problems))


@click.group()
@click.option("--config", "config_file", type=click.Path(dir_okay=False), default=None,
              help="A TOML settings file (else PARTNER_CONFIG_FILE). Precedence: flags, then "
                   "PARTNER_* variables, then this file, then defaults.")
@click.pass_context
def main(ctx: click.Context, config_file: str | None) -> None:
    """The partner SOAP service that the Connector pushes prospects and members into."""
    try:
        ctx.obj = Settings.from_env(config_file=config_file)
    except ConfigError as error:
        raise _configuration_error(error) from None


def published_wsdl(url: str | None = None) -> bytes:
    """The WSDL this version of the service publishes (production's; the committed file)."""
    from .soap.application import Dependencies, build_application
    from .soap.wsdl import DEFAULT_LOCATION, canonical_wsdl

    app = build_application(Dependencies(uow=None, authenticate=None))
    return canonical_wsdl(app, url or DEFAULT_LOCATION)


@main.group(invoke_without_command=True)
@click.option("--url", default=None, help="Endpoint address to write into the WSDL.")
@click.pass_context
def wsdl(ctx: click.Context, url: str | None) -> None:
    """Print the WSDL the service publishes (the committed wsdl/partner.wsdl)."""
    if ctx.invoked_subcommand is None:
        sys.stdout.buffer.write(published_wsdl(url))


@wsdl.command("compat")
@click.argument("old", type=click.Path(dir_okay=False, exists=True))
@click.argument("new", type=click.Path(dir_okay=False, exists=True), required=False)
def wsdl_compat(old: str, new: str | None) -> None:
    """List each change from OLD to NEW (default: this service's WSDL) as additive or breaking;
    exits 1 when one is breaking (the rules: docs/test-site.md, "Versioning")."""
    from pathlib import Path

    from .. import wsdl_compat

    try:
        after = Path(new).read_bytes() if new else published_wsdl()
        changes = wsdl_compat.compare(Path(old).read_bytes(), after)
    except (ValueError, etree.XMLSyntaxError) as error:
        raise click.ClickException(f"cannot compare: {error}") from None
    for change in changes:
        click.echo(str(change))
    broken = wsdl_compat.breaking(changes)
    click.echo(f"{len(broken)} breaking, {len(changes) - len(broken)} additive change(s) from {old} to "
               f"{new or 'the published WSDL'}", err=True)
    if broken:
        sys.exit(1)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(settings: Settings) -> None:
    """Apply every pending migration to PARTNER_DATABASE_URL."""
    engine = make_engine(settings.resolved_database_url())
    migrate.upgrade(engine)
    click.echo(f"schema current on {engine.url.render_as_string(hide_password=True)}")


@db.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def db_backup(settings: Settings, file: Path) -> None:
    """Copy the SQLite database to FILE, safe while serving (PostgreSQL: pg_dump, see deploy/README.md)."""
    from sqlalchemy.engine import make_url

    from ..adapters.backup import BackupError, backup_sqlite

    url = make_url(settings.resolved_database_url())
    if url.get_backend_name() != "sqlite":
        raise click.ClickException(
            "db backup copies the SQLite file; for PostgreSQL use pg_dump --format=custom (and pg_restore), "
            "as deploy/README.md shows under 'Back up and restore'.")
    try:
        done = backup_sqlite(Path(url.database or ""), file)
    except BackupError as error:
        raise click.ClickException(f"backup failed: {error}") from None
    click.echo(f"backed up {url.render_as_string(hide_password=True)} to {done.path} "
               f"({done.size} bytes, schema {done.schema or 'none'})")


@main.group()
def staff() -> None:
    """The partner's own staff (the Connector reads them, never writes them)."""


@staff.command("add")
@click.option("--client", "client_id", type=int, required=True)
@click.option("--email", required=True)
@click.option("--first-name", required=True)
@click.option("--last-name", required=True)
@click.option("--club", "club_ids", type=int, multiple=True, help="A club of the client (repeat); default all.")
@click.pass_obj
def staff_add(settings: Settings, client_id, email, first_name, last_name, club_ids) -> None:
    """Add a staff member to a client's clubs."""
    view = run(lambda: tenants.add_staff(open_uow(settings), client_id, email, first_name, last_name,
                                         list(club_ids) or None))
    click.echo(f"staff {view.id} {view.email} clubs {','.join(map(str, view.club_ids))}")


@main.command()
@click.option("--bind", default=None, help="HOST:PORT to listen on (setting bind; default 127.0.0.1:8443).")
@click.option("--dev", is_flag=True, help="A local CA and localhost certificate, the SQLite default, a demo "
                                          "client and credential; prints how to call it.")
@click.option("--insecure-http", is_flag=True, default=None,
              help="Plain HTTP: only on loopback or behind a TLS-terminating proxy.")
@click.option("--workers", type=int, default=None, help="Worker processes (default from the core count).")
@click.option("--threads", type=int, default=None, help="Threads per worker (default 4).")
@click.option("--gunicorn-config", type=click.Path(dir_okay=False, exists=True), default=None,
              envvar="PARTNER_GUNICORN_CONFIG", help="Instead of the packaged gunicorn.conf.py.")
@click.pass_obj
def serve(settings: Settings, bind, dev, insecure_http, workers, threads, gunicorn_config) -> None:
    """Run the service under gunicorn (TLS 1.2+ unless --insecure-http)."""
    from .server import run

    try:
        settings = settings.with_overrides(bind=bind, insecure_http=insecure_http, workers=workers,
                                           threads=threads)
    except ConfigError as error:
        raise _configuration_error(error) from None
    run(settings, dev=dev, config_file=Path(gunicorn_config) if gunicorn_config else None)


@main.command("gunicorn-config")
def gunicorn_config() -> None:
    """Print the path of the packaged gunicorn settings (for running gunicorn yourself)."""
    from .server import GUNICORN_CONFIG

    click.echo(str(GUNICORN_CONFIG))


# Credentials and turn-up live in their own module (kept small); registered here.
from .cli_credentials import COMMANDS as _CREDENTIAL_COMMANDS  # noqa: E402

for _command in _CREDENTIAL_COMMANDS:
    main.add_command(_command)

# Staff import/list and lead-source listing for operators (cli_ops.py).
from . import cli_ops  # noqa: E402

staff.add_command(cli_ops.staff_import)
staff.add_command(cli_ops.staff_list)
main.add_command(cli_ops.lead_sources)

# The test site (cli_sandbox.py).
from .cli_sandbox import sandbox as _sandbox  # noqa: E402

main.add_command(_sandbox)
