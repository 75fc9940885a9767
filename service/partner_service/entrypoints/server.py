"""Running the WSGI app under gunicorn, from the command line."""

from __future__ import annotations

from pathlib import Path

import click
from gunicorn.app.base import BaseApplication

CONFIG = Path(__file__).resolve().parents[3] / "deploy" / "gunicorn.conf.py"


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        # Imported and built in each worker, after the fork (preload_app stays off).
        from ..app import create_app

        return create_app()


def run(bind: str, dev: bool = False, insecure_http: bool = False) -> None:
    if not insecure_http:
        raise click.ClickException("TLS serving is not configured yet; use --insecure-http on loopback.")
    _Gunicorn({"bind": bind, "workers": 2, "threads": 4, "accesslog": None}).run()
