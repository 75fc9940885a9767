"""SOAP faults and HTTP failures as the typed exceptions of ``exceptions``.

The fault detail is read as the partner writes it (contract "Fault codes"):
``<detail><tns:FaultDetail><tns:Field>FirstName</tns:Field></tns:FaultDetail></detail>``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import requests
import zeep.exceptions

from . import exceptions as exc
from .ns import TNS

_BY_CODE = {
    "Client.Validation": exc.ValidationError,
    "Client.NotFound": exc.NotFound,
    "Client.Forbidden": exc.Forbidden,
    "Server.Unavailable": exc.Unavailable,
}
# WSS 1.1 fault codes (UsernameToken Profile 1.1 section 4 and WSS 1.1 section 12).
_SECURITY = {"InvalidSecurity", "FailedAuthentication", "MessageExpired", "InvalidSecurityToken",
             "UnsupportedSecurityToken", "SecurityTokenUnavailable", "FailedCheck"}


def fault_code(raw: str | None) -> str:
    """``soap11env:Client.Validation`` -> ``Client.Validation``; ``wsse:X`` or ``{ns}X`` -> ``X``."""
    raw = raw or ""
    if "}" in raw:  # Clark notation, as zeep or a stack that did not resolve the prefix writes it
        return raw.rpartition("}")[2]
    return raw.rpartition(":")[2]


def from_zeep_fault(fault: zeep.exceptions.Fault) -> exc.Fault:
    code = fault_code(fault.code)
    field = None
    if fault.detail is not None:
        field = fault.detail.findtext(f".//{{{TNS}}}Field")
    message = fault.message or code
    if code in _SECURITY:
        return exc.AuthenticationError(code, message)
    return _BY_CODE.get(code, exc.ServerError)(code, message, field)


_CAUSES = (("refused", "the connection was refused"), ("reset", "the connection was reset"),
           ("RemoteDisconnected", "the partner closed the connection without an answer"),
           ("aborted", "the connection was cut"), ("Name or service not known", "the host name is unknown"),
           ("Temporary failure in name resolution", "the host name could not be resolved"),
           ("No route to host", "there is no route to the host"))


def _host(error: Exception, url: str | None) -> str:
    request = getattr(error, "request", None)
    url = getattr(request, "url", None) or url
    return urlsplit(url).netloc if url else "the partner"


def _cause(error: Exception) -> str:
    text = str(error)
    return next((words for key, words in _CAUSES if key in text), type(error).__name__)


def from_transport(error: Exception, operation: str, url: str | None = None) -> exc.TransportError:
    """A transport failure as a sentence naming the operation, the host and the cause."""
    host = _host(error, url)
    if isinstance(error, requests.Timeout):
        return exc.Timeout(f"{operation}: {host} did not answer within the timeout.")
    if isinstance(error, requests.exceptions.SSLError):
        return exc.ConnectionFailed(f"{operation}: TLS with {host} failed (is the partner's certificate "
                                    "trusted? Set options.ca_bundle in the turn-up sheet).")
    if isinstance(error, requests.ConnectionError):
        return exc.ConnectionFailed(f"{operation}: cannot reach {host}: {_cause(error)}.")
    if isinstance(error, zeep.exceptions.TransportError):
        return exc.ProtocolError(f"{operation}: {host} answered HTTP {error.status_code} without a SOAP "
                                 "envelope.", error.status_code)
    return exc.ProtocolError(f"{operation}: the answer of {host} could not be read ({type(error).__name__}).")
