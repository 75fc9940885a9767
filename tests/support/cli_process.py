"""The installed ``partner-client`` as an operator runs it: a subprocess whose output is
captured (not a terminal: cron, CI, a log file) or on a pseudo-terminal (``pty``), and the
real service (``partner-service serve``, gunicorn) as a process that a test can kill and
start again on the same port."""

from __future__ import annotations

import errno
import fcntl
import os
import pty
import select
import signal
import socket
import struct
import subprocess
import sys
import termios
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import wait_healthy

BIN = Path(sys.executable).parent


@dataclass
class Done:
    code: int
    stdout: str
    stderr: str


def client_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARTNER_CLIENT_")}
    env.pop("COLUMNS", None)
    return {**env, **extra}


def captured(*args: str, env: dict | None = None, timeout: float = 120) -> Done:
    """``partner-client ARGS`` with stdout and stderr captured apart (pipes, not a terminal)."""
    done = subprocess.run([str(BIN / "partner-client"), *args], env=env or client_env(), capture_output=True,
                          text=True, timeout=timeout)
    return Done(done.returncode, done.stdout, done.stderr)


def in_pty(*args: str, env: dict | None = None, columns: int = 100, timeout: float = 120) -> Done:
    """``partner-client ARGS`` on a pseudo-terminal (stdout and stderr both the terminal, as in
    an interactive shell); ``stdout`` holds everything the terminal showed, ``stderr`` is empty."""
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    env = {**(env or client_env()), "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen([str(BIN / "partner-client"), *args], env=env, stdin=secondary,
                               stdout=secondary, stderr=secondary, close_fds=True)
    os.close(secondary)
    chunks = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([primary], [], [], 0.5)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(primary, 65536)
            except OSError as error:  # EIO: the terminal's other end is closed
                if error.errno != errno.EIO:
                    raise
                break
            if not chunk:
                break
            chunks.append(chunk)
        code = process.wait(timeout=max(1, deadline - time.monotonic()))
    finally:
        os.close(primary)
        if process.poll() is None:
            process.kill()
            process.wait()
    return Done(code, b"".join(chunks).decode("utf-8", "replace"), "")


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


class ServiceProcess:
    """``partner-service serve --insecure-http`` on one loopback port, in its own process
    group, so that ``kill()`` takes the gunicorn master and its workers down at once."""

    def __init__(self, env: dict[str, str], port: int):
        self.env, self.port = env, port
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [str(BIN / "partner-service"), "serve", "--insecure-http", "--bind", f"127.0.0.1:{self.port}",
             "--workers", "1", "--threads", "4"],
            env={**self.env, "PARTNER_LOG_LEVEL": "warning"}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True)
        wait_healthy(self.url, self.process, 60)

    def kill(self) -> None:
        """SIGKILL to the master and every worker: no graceful anything."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@contextmanager
def service_process(env: dict[str, str]):
    service = ServiceProcess(env, free_port())
    service.start()
    try:
        yield service
    finally:
        if service.process is not None and service.process.poll() is None:
            os.killpg(service.process.pid, signal.SIGTERM)
            try:
                service.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                service.kill()
