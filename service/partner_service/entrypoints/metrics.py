"""Prometheus metrics, counted across every gunicorn worker.

prometheus-client's multiprocess mode keeps each worker's values in files under
``PROMETHEUS_MULTIPROC_DIR`` and ``/metrics`` adds them up, so whichever worker answers
the scrape reports the whole server. The directory must be set before any worker imports
prometheus_client; deploy/gunicorn.conf.py does that in the master (``prepare_directory``).
Without it (tests, a single process) the counts are this process's own.

``/metrics`` is served by the gunicorn master on an address of its own (``metrics_bind``,
default ``127.0.0.1:9464``, plain HTTP), never on the public listener: call, fault and
login-failure counts are for the operator's Prometheus, not for callers. A master that cannot
listen there logs an error and serves the SOAP port all the same (the metrics are not worth
an outage; the scrape target shows as down).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from ..domain.errors import Unavailable
from .request_log import RequestRecord

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


_PREFIX = "partner-metrics-"


def prepare_directory() -> Path:
    """Set up ``PROMETHEUS_MULTIPROC_DIR`` in the gunicorn master, before workers fork.

    An operator's directory is emptied (files of a previous run would be counted again);
    otherwise a private temporary one is made (``remove_own_directory`` deletes it at exit).
    """
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
        return path
    path = Path(tempfile.mkdtemp(prefix=_PREFIX))
    os.environ[MULTIPROC_ENV] = str(path)
    return path


def remove_own_directory() -> None:
    """Delete the directory ``prepare_directory`` made; never an operator's."""
    given = os.environ.get(MULTIPROC_ENV)
    if given and Path(given).parent == Path(tempfile.gettempdir()) and Path(given).name.startswith(_PREFIX):
        shutil.rmtree(given, ignore_errors=True)


def worker_exited(pid: int) -> None:
    """gunicorn's ``child_exit``: keep the dead worker's counts, drop its live gauges."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)


def serve_exposition(bind: str, log, dependencies: dict[str, Callable[[], bool]] | None = None,
                     environment: str = "production"):
    """In the gunicorn master: every worker's counts at ``http://<bind>/metrics``, and the
    ``dependencies``' gauges checked at each scrape (``DependencyCollector``); the server, or
    None when the address cannot be had (logged)."""
    from prometheus_client import CollectorRegistry, multiprocess, start_http_server

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    if dependencies:
        registry.register(DependencyCollector(dependencies, environment))
    host, _, port = bind.rpartition(":")
    try:
        server, _thread = start_http_server(int(port), addr=host.strip("[]"), registry=registry)
    except OSError as error:
        log.error("metrics: cannot listen on %s (%s); /metrics is not served (set metrics_bind)",
                  bind, error.strerror)
        return None
    log.info("metrics: http://%s/metrics", bind)
    return server


class Metrics:
    """The service's metrics, counted per request (``observe``); every series carries the
    ``environment`` label (production or sandbox)."""

    def __init__(self, environment: str = "production"):
        self.environment = environment
        from prometheus_client import CollectorRegistry, Counter, Histogram, multiprocess

        self.registry = CollectorRegistry()
        if os.environ.get(MULTIPROC_ENV):
            multiprocess.MultiProcessCollector(self.registry)
            target = None  # values go to the shared files; the collector reads them back
        else:
            target = self.registry
        self.http_requests = Counter(
            "partner_http_requests", "HTTP requests by route and status code.",
            ["environment", "route", "status"], registry=target)
        self.calls = Counter(
            "partner_soap_calls", "SOAP calls by operation and outcome (ok or fault).",
            ["environment", "operation", "outcome"], registry=target)
        self.faults = Counter(
            "partner_soap_faults", "SOAP faults by operation and fault code.",
            ["environment", "operation", "code"], registry=target)
        self.latency = Histogram(
            "partner_soap_call_duration_seconds", "Time to answer a SOAP call, by operation.",
            ["environment", "operation"], buckets=_LATENCY_BUCKETS, registry=target)
        self.auth_failures = Counter(
            "partner_auth_failures", "Calls refused by WS-Security, by fault code.",
            ["environment", "code"], registry=target)
        self.replay_cache_errors = Counter(
            "partner_replay_cache_errors", "Nonces that the Redis replay cache could not check (each call "
            "refused with Server.Unavailable).", ["environment"], registry=target)

    def counted_replay_cache(self, nonces):
        """The Redis replay cache, its failures counted (``partner_replay_cache_errors_total``)."""
        return _CountedReplayCache(nonces, self.replay_cache_errors.labels(self.environment))

    def observe(self, record: RequestRecord) -> None:
        env = self.environment
        self.http_requests.labels(env, record.route, str(record.status)).inc()
        if record.route != "soap" or record.method != "POST":
            return
        operation = record.operation or "unknown"
        self.calls.labels(env, operation, "fault" if record.fault else record.outcome).inc()
        self.latency.labels(env, operation).observe(record.duration_ms / 1000)
        if record.fault:
            self.faults.labels(env, operation, record.fault).inc()
            if record.fault.startswith("wsse:"):
                self.auth_failures.labels(env, record.fault).inc()


class _CountedReplayCache:
    """A ``NonceStore`` whose ``Unavailable`` answers are counted; the rest is the store's own."""

    def __init__(self, nonces, errors):
        self.nonces = nonces
        self.errors = errors

    def remember(self, key: str, until: datetime, now: datetime) -> bool:
        try:
            return self.nonces.remember(key, until, now)
        except Unavailable:
            self.errors.inc()
            raise

    def ping(self) -> bool:
        return self.nonces.ping()


class DependencyCollector:
    """Gauges computed when scraped, by the same checks as ``/readyz``: 1 when the dependency
    answers. A scrape costs one ``SELECT 1`` (and a Redis PING when configured); a dependency
    that hangs holds the scrape for its connect timeout (5 s database, 2 s Redis)."""

    def __init__(self, checks: dict[str, Callable[[], bool]], environment: str = "production"):
        self.checks = checks
        self.environment = environment

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily

        states = {name: check() for name, check in self.checks.items()}
        up = GaugeMetricFamily("partner_dependency_up", "Whether a dependency answers (1) or not (0), "
                               "by dependency (database, replay_cache).", labels=["environment", "dependency"])
        for name, answers in states.items():
            up.add_metric([self.environment, name], 1.0 if answers else 0.0)
        yield up
        ready = GaugeMetricFamily("partner_ready", "Whether /readyz answers 200: every dependency answers.",
                                  labels=["environment"])
        ready.add_metric([self.environment], 1.0 if all(states.values()) else 0.0)
        yield ready
