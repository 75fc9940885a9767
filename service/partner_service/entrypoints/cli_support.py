"""What every ``partner-service`` subcommand shares: a unit of work and error reporting."""

from __future__ import annotations

import click
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from ..adapters import migrate
from ..adapters.db import make_engine
from ..adapters.orm import start_mappers
from ..config import Settings
from ..domain.errors import DomainError
from ..service_layer.people import PeopleStore
from ..service_layer.unit_of_work import SqlAlchemyUnitOfWork, session_factory


def ready_database(engine: Engine) -> None:
    """Migrate a SQLite file that is not current (the embedded default needs no setup), and
    require a current schema on PostgreSQL; a clear message when it is unreachable."""
    where = engine.url.render_as_string(hide_password=True)
    try:
        if not migrate.prepare(engine):
            raise click.ClickException(f"The schema of {where} is not current: run "
                                       "`partner-service db upgrade`.")
    except SQLAlchemyError as error:
        cause = getattr(error, "orig", None) or error
        raise click.ClickException(f"Cannot use the database {where}: {type(cause).__name__}. "
                                   "Is it running, and is PARTNER_DATABASE_URL right?") from None


def open_uow(settings: Settings) -> SqlAlchemyUnitOfWork:
    """A unit of work on the configured database, its schema current (``ready_database``)."""
    start_mappers()
    engine = make_engine(settings.resolved_database_url())
    ready_database(engine)
    return SqlAlchemyUnitOfWork(session_factory(engine))


def open_people(settings: Settings) -> tuple[SqlAlchemyUnitOfWork, PeopleStore]:
    """A unit of work and the engine's ``PeopleStore`` (the app's own choice, ``app.people_store``)
    on the configured database, for commands that save people (the sandbox's demo data)."""
    from ..app import people_store

    start_mappers()
    engine = make_engine(settings.resolved_database_url())
    ready_database(engine)
    sessions = session_factory(engine)

    def uow() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(sessions)

    return uow(), people_store(engine, uow)


def run(call):
    """Run a use case; a rule it refuses becomes a one-line error, not a traceback."""
    try:
        return call()
    except DomainError as error:
        raise click.ClickException(error.message) from None
