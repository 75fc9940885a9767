"""Prometheus metrics, counted across every gunicorn worker.

prometheus-client's multiprocess mode keeps each worker's values in files under
``PROMETHEUS_MULTIPROC_DIR`` and ``/metrics`` adds them up, so whichever worker answers
the scrape reports the whole server. The directory must be set before any worker imports
prometheus_client; deploy/gunicorn.conf.py does that in the master (``prepare_directory``).
Without it (tests, a single process) the counts are this process's own.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

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


class Metrics:
    """The service's metrics, and their exposition for ``GET /metrics``; every series carries the
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

    def exposition(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST
