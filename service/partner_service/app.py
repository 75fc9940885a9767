"""The app factory: engine, unit of work, spyne app and WSGI front, built per process.

gunicorn calls ``create_app()`` in each worker after it forks, so no connection or
pool is shared between processes; nothing here runs at import time.
"""

from __future__ import annotations

from collections.abc import Callable

from spyne.server.wsgi import WsgiApplication
from sqlalchemy import Engine, text

from .adapters import migrate
from .adapters.db import make_engine
from .adapters.orm import start_mappers
from .adapters.people_statements import statement_rows
from .adapters.writer_rows import transaction_rows
from .config import Settings
from .domain.model import Principal
from .entrypoints.metrics import Metrics
from .entrypoints.sandbox_wsgi import SandboxWsgi
from .entrypoints.soap.application import Dependencies, build_application
from .entrypoints.soap.single_saves import SingleSaves
from .entrypoints.soap.wsdl import DEFAULT_LOCATION, canonical_wsdl
from .entrypoints.wsgi import PartnerWsgi
from .security import NonceStore, replay_cache, ws_security
from .service_layer import people
from .service_layer.magic_values import MagicValues
from .service_layer.results import SaveOutcome
from .service_layer.sandbox import SANDBOX
from .service_layer.save_groups import SaveGroups
from .service_layer.statement_saves import StatementSaves
from .service_layer.unit_of_work import SqlAlchemyUnitOfWork, session_factory


def prepare_database(engine: Engine) -> None:
    """Migrate a SQLite file on first start; PostgreSQL is migrated by ``db upgrade``."""
    if not migrate.prepare(engine):
        raise RuntimeError("The database schema is not current: run `partner-service db upgrade`.")


def readiness(engine: Engine, nonces: NonceStore | None) -> Callable[[], str | None]:
    """``/readyz``: the name of what cannot be reached (database, replay cache), or None."""
    def unreachable() -> str | None:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception:
            return "database"
        if nonces is not None and not nonces.ping():
            return "replay cache"
        return None
    return unreachable


def single_saver(engine: Engine, uow_factory: Callable[[], object]) -> Callable[..., SaveOutcome]:
    """How single saves are written, beside the unit of work: SQLite has one writer, so saves
    arriving together share one transaction and one fsync (``SaveGroups``); PostgreSQL writes
    them in parallel, each as two autocommitted statements (``StatementSaves``: optimistic, no
    lock held between)."""
    if engine.dialect.name == "sqlite":
        return SaveGroups(transaction_rows(engine), uow_factory).save
    return StatementSaves(statement_rows(engine), uow_factory).save


def save_use_cases(settings: Settings, engine: Engine, uow_factory: Callable[[], object]):
    """``(save_person, save_people, single save)``: the service layer's, or in a sandbox the same
    wrapped by its magic values (``service_layer.magic_values``), chosen here once."""
    single = single_saver(engine, uow_factory)
    if settings.environment != SANDBOX:
        return people.save_person, people.save_people, single
    magic = MagicValues()
    return magic.person(people.save_person), magic.people(people.save_people), magic.person(single)


def create_app(settings: Settings | None = None, *, engine: Engine | None = None,
               authenticate: Callable[[list], Principal] | None = None) -> PartnerWsgi | SandboxWsgi:
    settings = settings or Settings.from_env()
    start_mappers()
    engine = engine or make_engine(settings.resolved_database_url())
    prepare_database(engine)
    sessions = session_factory(engine)
    nonces = replay_cache(settings) if authenticate is None else None
    readers = session_factory(engine, read_only=True)

    def reader() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(readers)

    def uow() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(sessions)

    save_person, save_people, single_save = save_use_cases(settings, engine, uow)
    deps = Dependencies(uow=uow, authenticate=authenticate or ws_security(settings, uow, nonces, reader),
                        reader=reader, save_person=save_person, save_people=save_people)
    soap_app = build_application(deps, settings.operations)
    template = canonical_wsdl(soap_app, DEFAULT_LOCATION, settings.environment)
    cache: dict[str, bytes] = {}

    def wsdl_for(request_url: str) -> bytes:
        url = settings.public_url or request_url
        if url not in cache and len(cache) < 64:
            cache[url] = template.replace(DEFAULT_LOCATION.encode(), url.encode())
        return cache.get(url) or template.replace(DEFAULT_LOCATION.encode(), url.encode())

    # The hot path beside spyne, for an authenticate hook that can check a token without writing.
    opener = getattr(deps.authenticate, "open", None)
    single_saves = SingleSaves(soap_app, opener, single_save) if opener is not None else None
    metrics = Metrics(settings.environment) if settings.metrics else None
    app = PartnerWsgi(WsgiApplication(soap_app), wsdl_for, readiness(engine, nonces),
                      settings.max_body_bytes, metrics, single_saves)
    app.engine = engine
    return SandboxWsgi(app) if settings.environment == SANDBOX else app
