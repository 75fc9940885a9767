"""The WSGI front: routes ``/soap``, the WSDL, health checks; guards the SOAP app.

Whatever goes wrong below, the caller gets a SOAP fault, never an HTML error page. Every
request is logged once and counted (``request_log``, ``metrics``). The caller's address and
scheme are those a trusted proxy names (``proxies``); a SOAP POST from an address that failed
to authenticate too often waits (``service_layer.throttle``) before its token is even read.
``/metrics`` is not served here: the gunicorn master serves it on its own address
(``metrics.serve_exposition``), so the public listener never shows the counters.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from spyne.model.fault import Fault
from spyne.server.wsgi import WsgiApplication

from ..service_layer.throttle import FailureThrottle
from .http_guard import media_type, request_refusal
from .metrics import Metrics
from .proxies import TrustedProxies
from .request_log import RequestRecord, fault_code, observe_spyne
from .soap.faults import fault_document, server_fault
from .soap.namespaces import WSSE
from .soap.single_saves import SingleSaves

log = logging.getLogger("partner_service.wsgi")

SOAP_PATH = "/soap"
_XML = [("Content-Type", "text/xml; charset=utf-8")]
_TEXT = [("Content-Type", "text/plain; charset=utf-8")]
_ALLOW = [("Allow", "GET, POST")]
# A host name, an IPv4 address or a bracketed IPv6 address, and an optional port: nothing else
# may reach the WSDL's address.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = re.compile(rf"(?:{_LABEL}(?:\.{_LABEL})*\.?|\[[0-9A-Fa-f:.]{{2,45}}\])(?::[0-9]{{1,5}})?")
_FAILED_AUTHENTICATION = "wsse:FailedAuthentication"


def _route(path: str) -> str:
    """A fixed name for the metrics label and the log: never the caller's own path."""
    if path.rstrip("/") == SOAP_PATH:
        return "soap"
    return path[1:] if path in ("/healthz", "/readyz") else "other"


class PartnerWsgi:
    def __init__(self, soap: WsgiApplication, wsdl_for: Callable[[str], bytes],
                 ready: Callable[[], str | None], max_body_bytes: int, metrics: Metrics | None = None,
                 single_saves: SingleSaves | None = None, proxies: TrustedProxies | None = None,
                 throttle: FailureThrottle | None = None):
        self.soap = soap
        self.wsdl_for = wsdl_for
        self.ready = ready
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics
        self.single_saves = single_saves
        self.proxies = proxies or TrustedProxies()
        self.throttle = throttle or FailureThrottle()
        operations = frozenset(key.split("}", 1)[-1] for key in soap.app.interface.service_method_map)
        observe_spyne(soap.app, operations)

    def __call__(self, environ, start_response):
        self.proxies.apply(environ)
        record = RequestRecord.open(environ, _route(environ.get("PATH_INFO", "") or "/"))

        def respond(status, headers, exc_info=None):
            record.status = int(status.split(" ", 1)[0])
            return start_response(status, [*headers, ("X-Request-ID", record.request_id)], exc_info)

        try:
            return self._handle(environ, respond, record)
        finally:
            self._count_authentication(record)
            record.finish()
            record.write()
            if self.metrics is not None:
                self.metrics.observe(record)

    def _handle(self, environ, start_response, record: RequestRecord):
        path = environ.get("PATH_INFO", "") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
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
            url = self._request_url(environ)
            if url is None:
                return self._fault(start_response, "400 Bad Request", Fault(
                    "Client", "The Host header is not a host name or address with an optional port; "
                              "the WSDL's endpoint address is made from it."), record)
            body = self.wsdl_for(url)
            start_response("200 OK", _XML + [("Content-Length", str(len(body)))])
            return [body]
        if method != "POST":
            return self._fault(start_response, "405 Method Not Allowed",
                               Fault("Client", "POST a SOAP 1.1 envelope to /soap; GET /soap?wsdl"
                                               " for the WSDL."), record, _ALLOW)
        wait = self.throttle.wait(environ.get("REMOTE_ADDR", ""))
        if wait:
            answer = self._fault(start_response, "500 Internal Server Error", Fault(
                f"{{{WSSE}}}FailedAuthentication", f"Too many failed authentications from this address; "
                                                   f"the next try is checked in {wait} s."),
                record, [("Retry-After", str(wait))])
            record.outcome = "throttled"
            return answer
        refusal = request_refusal(environ, self.max_body_bytes)
        if refusal is not None:
            return self._fault(start_response, *refusal, record)
        record.bytes_in = int(environ["CONTENT_LENGTH"])
        try:
            if self.single_saves is not None:
                answered = self._single_save(environ, start_response, record)
                if answered is not None:
                    return answered
            return list(self.soap(environ, start_response))
        except Exception as exc:
            return self._fault(start_response, "500 Internal Server Error", server_fault(exc), record)

    def _single_save(self, environ, start_response, record: RequestRecord):
        stream = environ["wsgi.input"]  # the whole body, in memory (request_refusal read it)
        answered = self.single_saves.handle(stream.getvalue(), media_type(environ.get("CONTENT_TYPE") or "")[1],
                                            record, environ.get("HTTP_SOAPACTION"))
        if answered is None:
            return None  # spyne answers after all: it reads the body from the stream
        status, reply = answered
        start_response(status, _XML + [("Content-Length", str(len(reply)))])
        return [reply]

    def _count_authentication(self, record: RequestRecord) -> None:
        """A refused password counts against the caller's address; an accepted one clears it."""
        if record.route != "soap" or record.outcome == "throttled":
            return
        if record.fault == _FAILED_AUTHENTICATION:
            self.throttle.failed(record.remote_addr or "")
        elif record.credential is not None:
            self.throttle.succeeded(record.remote_addr or "")

    @staticmethod
    def _request_url(environ) -> str | None:
        """The endpoint as this request reached it; None when its Host header is not a host."""
        scheme = environ.get("wsgi.url_scheme", "http")
        host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
        if len(host) > 255 or not _HOST.fullmatch(host):
            return None
        return f"{scheme}://{host}{SOAP_PATH}"

    @staticmethod
    def _text(start_response, status, text):
        body = text.encode()
        start_response(status, _TEXT + [("Content-Length", str(len(body)))])
        return [body]

    @staticmethod
    def _fault(start_response, status, fault, record: RequestRecord | None = None, headers=()):
        if record is not None:
            record.failed(fault_code(fault))
        body = fault_document(fault)
        start_response(status, _XML + [("Content-Length", str(len(body))), *headers])
        return [body]
