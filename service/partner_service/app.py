"""The app factory: engine, unit of work, spyne app and WSGI front, built per process.

gunicorn calls ``create_app()`` in each worker after it forks, so no connection or
pool is shared between processes; nothing here runs at import time.
"""

from __future__ import annotations

from collections.abc import Callable

from spyne.server.wsgi import WsgiApplication
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from .adapters import migrate
from .adapters.credential_store import PurgeSchedule
from .adapters.db import make_engine
from .adapters.orm import start_mappers
from .adapters.people_postgresql import PostgresPeopleStore
from .adapters.people_sqlite import SqlitePeopleStore
from .config import Settings
from .domain.model import Principal
from .entrypoints.metrics import Metrics
from .entrypoints.proxies import TrustedProxies
from .entrypoints.sandbox_wsgi import SandboxWsgi
from .entrypoints.soap.application import Dependencies, build_application
from .entrypoints.soap.single_saves import SingleSaves
from .entrypoints.soap.wsdl import DEFAULT_LOCATION, canonical_wsdl
from .entrypoints.wsgi import PartnerWsgi
from .security import NonceStore, replay_cache, ws_security
from .service_layer import people
from .service_layer.magic_values import MagicValues
from .service_layer.people import PeopleStore
from .service_layer.sandbox import SANDBOX
from .service_layer.throttle import FailureThrottle, ThrottlePolicy
from .service_layer.unit_of_work import SqlAlchemyUnitOfWork, session_factory


def prepare_database(engine: Engine) -> None:
    """Migrate a SQLite file on first start; PostgreSQL is migrated by ``db upgrade``."""
    if not migrate.prepare(engine):
        raise RuntimeError("The database schema is not current: run `partner-service db upgrade`.")


def dependencies(engine: Engine, nonces: NonceStore | None) -> dict[str, Callable[[], bool]]:
    """What serving needs besides this process, each with a check that it answers now: the
    database, and the replay cache when it is Redis (``/readyz`` and ``partner_dependency_up``)."""
    def database() -> bool:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    checks = {"database": database}
    if nonces is not None:
        checks["replay_cache"] = nonces.ping
    return checks


def unpooled_dependencies(settings: Settings) -> dict[str, Callable[[], bool]]:
    """``dependencies`` for a process that serves no calls (the gunicorn master's ``/metrics``):
    each check opens a connection and closes it (no pool), so none is open when the master
    forks a worker, and the master keeps none that a database restart would leave broken."""
    url = settings.resolved_database_url()
    postgres = make_url(url).get_backend_name() == "postgresql"
    engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 5} if postgres else {})
    return dependencies(engine, replay_cache(settings))


def readiness(checks: dict[str, Callable[[], bool]]) -> Callable[[], str | None]:
    """``/readyz``: the name of the first dependency that cannot be reached, or None."""
    def unreachable() -> str | None:
        return next((name.replace("_", " ") for name, answers in checks.items() if not answers()), None)
    return unreachable


def people_store(engine: Engine, uow_factory: Callable[[], object],
                 nonce_purge: PurgeSchedule | None = None) -> PeopleStore:
    """The ``PeopleStore`` of the engine, chosen once per app: SQLite has one writer, so saves
    arriving together share one transaction and one fsync (``SqlitePeopleStore``); PostgreSQL
    writes them in parallel, each as one or two autocommitted statements (``PostgresPeopleStore``:
    optimistic, no lock held between)."""
    if engine.dialect.name == "sqlite":
        return SqlitePeopleStore(engine, uow_factory, nonce_purge)
    return PostgresPeopleStore(engine, uow_factory, nonce_purge)


def save_use_cases(settings: Settings):
    """``(save_person, save_people)``: the service layer's, or in a sandbox the same use cases
    wrapped by its magic values (``service_layer.magic_values``), chosen here once. Every save
    entry (the fast front, spyne's operations) calls these."""
    if settings.environment != SANDBOX:
        return people.save_person, people.save_people
    magic = MagicValues()
    return magic.person(people.save_person), magic.people(people.save_people)


def create_app(settings: Settings | None = None, *, engine: Engine | None = None,
               authenticate: Callable[[list], Principal] | None = None) -> PartnerWsgi | SandboxWsgi:
    settings = settings or Settings.from_env()
    start_mappers()
    engine = engine or make_engine(settings.resolved_database_url())
    prepare_database(engine)
    nonce_purge = PurgeSchedule()
    sessions = session_factory(engine, nonce_purge=nonce_purge)
    metrics = Metrics(settings.environment) if settings.metrics else None
    nonces = replay_cache(settings) if authenticate is None else None
    if nonces is not None and metrics is not None:
        nonces = metrics.counted_replay_cache(nonces)
    readers = session_factory(engine, read_only=True)

    def reader() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(readers)

    def uow() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(sessions)

    save_person, save_people = save_use_cases(settings)
    deps = Dependencies(uow=uow, authenticate=authenticate or ws_security(settings, uow, nonces, reader),
                        people=people_store(engine, uow, nonce_purge), reader=reader,
                        save_person=save_person, save_people=save_people)
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
    single_saves = (SingleSaves(soap_app, opener, deps.people, deps.save_person)
                    if opener is not None else None)
    throttle = FailureThrottle(ThrottlePolicy(settings.auth_lockout_threshold, settings.auth_lockout_seconds,
                                              settings.auth_lockout_max_seconds))
    app = PartnerWsgi(WsgiApplication(soap_app), wsdl_for, readiness(dependencies(engine, nonces)),
                      settings.max_body_bytes, metrics, single_saves, TrustedProxies(settings.trusted_proxies),
                      throttle)
    app.engine = engine
    return SandboxWsgi(app) if settings.environment == SANDBOX else app
