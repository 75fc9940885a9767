"""Real gunicorn for load and crash tests: the project's deploy/gunicorn.conf.py serving the
test-only factory ``harness.gunicorn_app:create_test_app()`` (username-only authentication)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_healthy(url: str, server: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {server.stderr.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not become healthy")


def workers_of(master_pid: int) -> set[int]:
    """PIDs of the processes whose parent is the gunicorn master (its workers)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master_pid:
            found.add(int(stat.parent.name))
    return found


@contextmanager
def gunicorn(database_url: str, principals: dict[str, int], data_dir: Path, max_body_bytes: int = 1024 * 1024,
             workers: int = 2, threads: int = 4):
    """``(url, master_pid)`` of a gunicorn serving the app on a free loopback port; stopped after."""
    port = _free_port()
    env = dict(os.environ, PARTNER_DATABASE_URL=database_url, PARTNER_BIND=f"127.0.0.1:{port}",
               PARTNER_INSECURE_HTTP="true", PARTNER_WORKERS=str(workers), PARTNER_THREADS=str(threads),
               PARTNER_GRACEFUL_TIMEOUT="3", PARTNER_LOG_LEVEL="warning", PARTNER_DATA_DIR=str(data_dir),
               PARTNER_MAX_BODY_BYTES=str(max_body_bytes), PARTNER_TEST_PRINCIPALS=json.dumps(principals),
               PYTHONPATH=str(ROOT))
    server = subprocess.Popen([str(GUNICORN), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
                               "harness.gunicorn_app:create_test_app()"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, server)
        yield url, server.pid
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
