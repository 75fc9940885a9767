"""``partner-service``: serve, turn up clients, manage staff, export the WSDL, migrate.

The names and options here are a stable interface (contract: "Turn-up sheet and command
line"): extend them, never rename them.
"""

from __future__ import annotations

import sys

import click

from ..adapters import migrate
from ..adapters.db import make_engine
from ..adapters.orm import start_mappers
from ..config import Settings
from ..domain.errors import DomainError
from ..service_layer import tenants
from ..service_layer.unit_of_work import SqlAlchemyUnitOfWork, session_factory


def _uow_factory(settings: Settings):
    start_mappers()
    engine = make_engine(settings.resolved_database_url())
    if engine.dialect.name == "sqlite":
        migrate.upgrade(engine)
    sessions = session_factory(engine)
    return lambda: SqlAlchemyUnitOfWork(sessions)


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """The partner SOAP service that the Connector pushes prospects and members into."""
    ctx.obj = Settings.from_env()


@main.command()
@click.option("--url", default=None, help="Endpoint address to write into the WSDL.")
def wsdl(url: str | None) -> None:
    """Print the WSDL the service publishes (the committed wsdl/partner.wsdl)."""
    from .soap.application import Dependencies, build_application
    from .soap.wsdl import DEFAULT_LOCATION, canonical_wsdl

    app = build_application(Dependencies(uow=None, authenticate=None))
    sys.stdout.buffer.write(canonical_wsdl(app, url or DEFAULT_LOCATION))


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
    try:
        view = tenants.add_staff(_uow_factory(settings)(), client_id, email, first_name, last_name,
                                 list(club_ids) or None)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"staff {view.id} {view.email} clubs {','.join(map(str, view.club_ids))}")


@main.command()
@click.option("--bind", default="127.0.0.1:8080", show_default=True, help="HOST:PORT to listen on.")
@click.option("--dev", is_flag=True, help="Local self-signed TLS and the SQLite default.")
@click.option("--insecure-http", is_flag=True,
              help="Plain HTTP: only on loopback or behind a TLS-terminating proxy.")
def serve(bind: str, dev: bool, insecure_http: bool) -> None:
    """Run the service under gunicorn."""
    from .server import run

    run(bind=bind, dev=dev, insecure_http=insecure_http)


# Credentials and turn-up live in their own module (kept small); registered here.
from .cli_credentials import COMMANDS as _CREDENTIAL_COMMANDS  # noqa: E402

for _command in _CREDENTIAL_COMMANDS:
    main.add_command(_command)
