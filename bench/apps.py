"""The two WSGI apps the bench serves under identical gunicorn settings (factories, called
in each worker after the fork): the real service, and a canned reply (the ceiling).
"""

from __future__ import annotations

import gc
import json
import os


def service_app():
    """The real app, WS-Security included, from ``PARTNER_*`` settings."""
    from partner_service.app import create_app

    app = create_app()
    gc.freeze()  # as deploy/gunicorn.conf.py's post_worker_init does
    return app


def canned_app():
    """Reads the request body like any app, then answers the recorded reply for its SOAPAction."""
    with open(os.environ["BENCH_CANNED_REPLIES"], encoding="utf-8") as replies_file:
        replies = {action: body.encode() for action, body in json.load(replies_file).items()}

    def app(environ, start_response):
        stream = environ["wsgi.input"]
        stream.read(int(environ.get("CONTENT_LENGTH") or 0))
        body = replies[environ.get("HTTP_SOAPACTION", "").strip('"')]
        start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8"),
                                  ("Content-Length", str(len(body)))])
        return [body]
    return app


def floor_app():
    """The least a durable save can cost on PostgreSQL, without any of the service: read the
    body, run ``BENCH_FLOOR_STATEMENTS`` on this thread's own autocommitted connection (1: one
    INSERT, one commit; 2: a SELECT by a unique key, then the INSERT: the read-then-write of a
    save that needs the stored row), answer the canned reply."""
    import threading
    import uuid

    import psycopg

    canned, local = canned_app(), threading.local()
    url, statements = os.environ["BENCH_FLOOR_URL"], int(os.environ["BENCH_FLOOR_STATEMENTS"])

    def app(environ, start_response):
        connection = getattr(local, "connection", None)
        if connection is None:
            connection = local.connection = psycopg.connect(url, autocommit=True)
        key = uuid.uuid4().hex
        if statements > 1:
            connection.execute("SELECT id FROM bench_floor WHERE key = %s", (key,)).fetchall()
        connection.execute("INSERT INTO bench_floor (key) VALUES (%s)", (key,))
        return canned(environ, start_response)
    return app
