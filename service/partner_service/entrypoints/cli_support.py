"""What every ``partner-service`` subcommand shares: a unit of work and error reporting."""

from __future__ import annotations

import click

from ..adapters import migrate
from ..adapters.db import make_engine
from ..adapters.orm import start_mappers
from ..config import Settings
from ..domain.errors import DomainError
from ..service_layer.unit_of_work import SqlAlchemyUnitOfWork, session_factory


def open_uow(settings: Settings) -> SqlAlchemyUnitOfWork:
    """A unit of work on the configured database (a SQLite file is migrated on first use)."""
    start_mappers()
    engine = make_engine(settings.resolved_database_url())
    if engine.dialect.name == "sqlite":
        migrate.upgrade(engine)
    return SqlAlchemyUnitOfWork(session_factory(engine))


def run(call):
    """Run a use case; a rule it refuses becomes a one-line error, not a traceback."""
    try:
        return call()
    except DomainError as error:
        raise click.ClickException(error.message) from None
