"""Profile one scenario in one process: the real app (``create_app``, WS-Security included) on
a fresh database, called through WSGI with the load's own envelopes. No HTTP server, so what
shows is the service's own cost.

    .venv/bin/python -m bench.profile --engine postgresql --scenario save --requests 300
    .venv/bin/python -m bench.profile --scenario batch --requests 30 --sort tottime
    .venv/bin/python -m bench.profile --scenario staff --no-profiler   # CPU and wall per request
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import tempfile
import time
from pathlib import Path

from partner_service.app import create_app
from partner_service.config import Settings

from . import wire
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
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, database(options.engine, Path(tmp)) as url:
        info = seed(url, staff=200)
        settings = Settings.from_env({**info["env"], "PARTNER_DATABASE_URL": url, "PARTNER_DATA_DIR": tmp})
        app = create_app(settings)
        try:
            bodies = request_bodies(options.scenario, info["club_id"], "profile")  # the load's own

            def send() -> None:
                header = wire.security_header(info["username"], info["password"])
                _call(app, wire.envelope(header, next(bodies)))

            for _ in range(4):  # warm: schema, statement caches, pool
                send()
            profiler = None if options.no_profiler else cProfile.Profile()
            wall, cpu = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            for _ in range(options.requests):
                send()
            if profiler:
                profiler.disable()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            print(f"{options.engine} {options.scenario}: {wall / options.requests * 1000:.2f} ms wall, "
                  f"{cpu / options.requests * 1000:.2f} ms CPU per request"
                  + (" (under the profiler)" if profiler else ""))
            if profiler:
                pstats.Stats(profiler).sort_stats(options.sort).print_stats(options.lines)
        finally:
            app.engine.dispose()


if __name__ == "__main__":
    main()
