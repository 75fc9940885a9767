"""The WSGI front: routes ``/soap``, the WSDL, health checks, metrics; guards the SOAP app.

Whatever goes wrong below, the caller gets a SOAP fault, never an HTML error page. Every
request is logged once and counted (``request_log``, ``metrics``).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable

from spyne.model.fault import Fault
from spyne.server.wsgi import WsgiApplication

from .http_guard import media_type, request_refusal
from .metrics import Metrics
from .request_log import RequestRecord, fault_code, observe_spyne
from .soap.faults import fault_document, server_fault
from .soap.single_saves import SingleSaves

log = logging.getLogger("partner_service.wsgi")

SOAP_PATH = "/soap"
_XML = [("Content-Type", "text/xml; charset=utf-8")]
_TEXT = [("Content-Type", "text/plain; charset=utf-8")]


def _route(path: str) -> str:
    """A fixed name for the metrics label and the log: never the caller's own path."""
    if path.rstrip("/") == SOAP_PATH:
        return "soap"
    return path[1:] if path in ("/healthz", "/readyz", "/metrics") else "other"


class PartnerWsgi:
    def __init__(self, soap: WsgiApplication, wsdl_for: Callable[[str], bytes],
                 ready: Callable[[], str | None], max_body_bytes: int, metrics: Metrics | None = None,
                 single_saves: SingleSaves | None = None):
        self.soap = soap
        self.wsdl_for = wsdl_for
        self.ready = ready
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics
        self.single_saves = single_saves
        operations = frozenset(key.split("}", 1)[-1] for key in soap.app.interface.service_method_map)
        observe_spyne(soap.app, operations)

    def __call__(self, environ, start_response):
        record = RequestRecord.open(environ, _route(environ.get("PATH_INFO", "") or "/"))

        def respond(status, headers, exc_info=None):
            record.status = int(status.split(" ", 1)[0])
            return start_response(status, [*headers, ("X-Request-ID", record.request_id)], exc_info)

        try:
            return self._handle(environ, respond, record)
        finally:
            record.finish()
            record.write()
            if self.metrics is not None:
                self.metrics.observe(record)

    def _handle(self, environ, start_response, record: RequestRecord):
        path = environ.get("PATH_INFO", "") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/metrics" and self.metrics is not None:
            body, content_type = self.metrics.exposition()
            start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
            return [body]
        if path == "/healthz":
            return self._text(start_response, "200 OK", "ok\n")
        if path == "/readyz":
            unreachable = self.ready()
            if unreachable is None:
                return self._text(start_response, "200 OK", "ready\n")
            return self._text(start_response, "503 Service Unavailable", f"{unreachable} unreachable\n")
        if path.rstrip("/") != SOAP_PATH:
            return self._text(start_response, "404 Not Found", "not found; the endpoint is /soap\n")
        if method == "GET" and environ.get("QUERY_STRING", "").lower() == "wsdl":
            body = self.wsdl_for(self._request_url(environ))
            start_response("200 OK", _XML + [("Content-Length", str(len(body)))])
            return [body]
        if method != "POST":
            return self._fault(start_response, "405 Method Not Allowed",
                               Fault("Client", "POST a SOAP 1.1 envelope to /soap; GET /soap?wsdl"
                                               " for the WSDL."), record)
        refusal = request_refusal(environ, self.max_body_bytes)
        if refusal is not None:
            return self._fault(start_response, *refusal, record)
        record.bytes_in = int(environ.get("CONTENT_LENGTH") or 0)
        try:
            if self.single_saves is not None:
                answered = self._single_save(environ, start_response, record)
                if answered is not None:
                    return answered
            return list(self.soap(environ, start_response))
        except Exception as exc:
            return self._fault(start_response, "500 Internal Server Error", server_fault(exc), record)

    def _single_save(self, environ, start_response, record: RequestRecord):
        body = environ["wsgi.input"].read(record.bytes_in)
        answered = self.single_saves.handle(body, media_type(environ.get("CONTENT_TYPE") or "")[1], record)
        if answered is None:
            environ["wsgi.input"] = io.BytesIO(body)  # spyne answers after all: it reads it again
            return None
        status, reply = answered
        start_response(status, _XML + [("Content-Length", str(len(reply)))])
        return [reply]

    @staticmethod
    def _request_url(environ) -> str:
        scheme = environ.get("wsgi.url_scheme", "http")
        host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
        return f"{scheme}://{host}{SOAP_PATH}"

    @staticmethod
    def _text(start_response, status, text):
        body = text.encode()
        start_response(status, _TEXT + [("Content-Length", str(len(body)))])
        return [body]

    @staticmethod
    def _fault(start_response, status, fault, record: RequestRecord | None = None):
        if record is not None:
            record.failed(fault_code(fault))
        body = fault_document(fault)
        start_response(status, _XML + [("Content-Length", str(len(body)))])
        return [body]
