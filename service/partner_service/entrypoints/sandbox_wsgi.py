"""The sandbox's WSGI wrapper: closes the connection of a request whose save asked for it
(``SANDBOX-DROP``, ``service_layer.magic_values``) after the commit, without an answer.

Under gunicorn (as deployed) the client's socket is shut down, so the caller sees the
connection closed with no response at all: the in-doubt case a Connector must retry. Under a
server that gives no socket (``wsgiref`` and the like, which close after each answer) the
answer is cut short instead: its Content-Length promises twice what is sent. Chosen once, in
the app factory, for a sandbox only.
"""

from __future__ import annotations

import contextlib
import logging
import socket

from ..service_layer.magic_values import drop_requested

log = logging.getLogger("partner_service.sandbox")


class SandboxWsgi:
    def __init__(self, app):
        self.app = app
        self.engine = getattr(app, "engine", None)

    def __call__(self, environ, start_response):
        token = drop_requested.set(False)
        try:
            answer: dict = {}

            def capture(status, headers, exc_info=None):
                answer.update(status=status, headers=headers)
                return lambda data: None

            body = b"".join(self.app(environ, capture))
            if not drop_requested.get():
                start_response(answer["status"], answer["headers"])
                return [body]
            request_id = dict(answer["headers"]).get("X-Request-ID")
            log.info("sandbox: SANDBOX-DROP, the save is committed and the connection closed without an "
                     "answer, request_id=%s", request_id)
            client = environ.get("gunicorn.socket")
            if client is not None:
                with contextlib.suppress(OSError):  # the caller may have gone already
                    client.shutdown(socket.SHUT_RDWR)
                start_response(answer["status"], answer["headers"])
                return [b""]
            headers = [(k, v) for k, v in answer["headers"] if k.lower() != "content-length"]
            start_response(answer["status"], [*headers, ("Content-Length", str(2 * len(body)))])
            return [body]
        finally:
            drop_requested.reset(token)
