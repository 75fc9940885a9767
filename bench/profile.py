"""Profile one scenario in one process: the real app (``create_app``, WS-Security included) on
a fresh database, called through WSGI with the load's own envelopes. No HTTP server, so what
shows is the service's own cost.

    .venv/bin/python -m bench.profile --engine postgresql --scenario save --requests 300
    .venv/bin/python -m bench.profile --scenario batch --requests 30 --sort tottime
    .venv/bin/python -m bench.profile --scenario staff --no-profiler   # CPU and wall per request
    .venv/bin/python -m bench.profile --no-profiler --requests 4000 --threads 4

Without the profiler it also reports PostgreSQL's CPU per request (its processes', read from
``/proc`` as ``bench.census`` does), and ``--threads`` sends from that many threads at once:
one thread gives the service's own cost; four, what a gunicorn worker's threads taking turns
at the GIL add to it, still without gunicorn, HTTP or a load process on the same cores.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import tempfile
import threading
import time
from pathlib import Path

from partner_service.app import create_app
from partner_service.config import Settings

from . import wire
from .census import cpu_groups, process_cpu
from .load import request_bodies
from .seed import database, seed


def _call(app, body: bytes) -> None:
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/soap", "QUERY_STRING": "", "SERVER_NAME": "localhost",
               "SERVER_PORT": "80", "wsgi.url_scheme": "http", "CONTENT_TYPE": "text/xml; charset=utf-8",
               "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body)}
    status = []
    reply = b"".join(app(environ, lambda s, headers, exc_info=None: status.append(s)))
    if not status[0].startswith("200"):
        raise RuntimeError(f"{status[0]}: {reply[:400]!r}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--scenario", choices=["save", "new", "batch", "staff"], default="save",
                        help="save: half new people, half updates; new: new people only")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--sort", default="cumulative", help="pstats order: cumulative, tottime, ...")
    parser.add_argument("--lines", type=int, default=40)
    parser.add_argument("--no-profiler", action="store_true", help="only time the requests")
    parser.add_argument("--threads", type=int, default=1, help="threads sending at once (without the profiler)")
    options = parser.parse_args(argv)
    if options.threads > 1 and not options.no_profiler:
        parser.error("--threads needs --no-profiler: cProfile sees one thread")
    with tempfile.TemporaryDirectory() as tmp, database(options.engine, Path(tmp)) as url:
        info = seed(url, staff=200)
        settings = Settings.from_env({**info["env"], "PARTNER_DATABASE_URL": url, "PARTNER_DATA_DIR": tmp})
        app = create_app(settings)
        try:
            def send(count: int, tag: str) -> None:
                bodies = request_bodies(options.scenario, info["club_id"], tag)  # the load's own
                for _ in range(count):
                    header = wire.security_header(info["username"], info["password"])
                    _call(app, wire.envelope(header, next(bodies)))

            _in_threads(send, 4, options.threads, "warm")  # schema, statement caches, pool
            profiler = None if options.no_profiler else cProfile.Profile()
            before = cpu_groups(process_cpu(), os.getpid(), set())
            wall, cpu = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            _in_threads(send, options.requests // options.threads, options.threads, "profile")
            if profiler:
                profiler.disable()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            after = cpu_groups(process_cpu(), os.getpid(), set())
            requests = options.requests // options.threads * options.threads
            print(f"{options.engine} {options.scenario}, {options.threads} thread(s): "
                  f"{requests / wall:.0f} requests/s, {wall / requests * 1000:.2f} ms wall, "
                  f"{cpu / requests * 1000:.2f} ms CPU per request"
                  + (" (under the profiler)" if profiler else
                     f", PostgreSQL {(after['database'] - before['database']) / requests * 1000:.2f} ms"
                     if options.engine == "postgresql" else ""))
            if profiler:
                pstats.Stats(profiler).sort_stats(options.sort).print_stats(options.lines)
        finally:
            app.engine.dispose()


def _in_threads(send, count: int, threads: int, tag: str) -> None:
    """``send(count, tag)`` in this thread, or in ``threads`` threads at once (tags of their own)."""
    if threads == 1:
        send(count, tag)
        return
    workers = [threading.Thread(target=send, args=(count, f"{tag}-{n}")) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


if __name__ == "__main__":
    main()
