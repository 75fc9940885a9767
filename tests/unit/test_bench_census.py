"""The benchmark's CPU census: which process's time counts for whom, and per request."""

from __future__ import annotations

from bench.census import cpu_groups, cpu_per_request

MASTER, LOAD = 100, {300, 301}


def test_workers_are_the_master_and_its_children_the_database_postgres_and_the_load_its_processes():
    table = {MASTER: (1, "gunicorn", 0.5), 101: (MASTER, "gunicorn", 2.0), 102: (MASTER, "gunicorn", 3.0),
             200: (1, "postgres", 1.0), 201: (200, "postgres: bench", 4.0),
             300: (1, "python", 0.25), 301: (1, "python", 0.75), 400: (1, "sshd", 9.0)}
    assert cpu_groups(table, MASTER, LOAD) == {"workers": 5.5, "database": 5.0, "load": 1.0}


def test_cpu_per_request_is_the_difference_over_the_requests_and_cores_over_the_seconds():
    first = (10.0, {"workers": 1.0, "database": 0.5, "load": 0.0}, {"busy": 100.0, "idle": 50.0, "steal": 0.0})
    last = (12.0, {"workers": 3.0, "database": 1.5, "load": 0.4}, {"busy": 103.6, "idle": 50.4, "steal": 0.0})
    assert cpu_per_request(first, last, requests=2000, cpus=2) == {
        "workers_ms": 1.0, "database_ms": 0.5, "load_ms": 0.2,
        "machine_busy_cores": 1.8, "machine_idle_cores": 0.2, "machine_steal_cores": 0.0, "cores": 2}
