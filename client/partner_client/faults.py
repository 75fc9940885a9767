"""SOAP faults and HTTP failures as the typed exceptions of ``exceptions``.

The fault detail is read as the partner writes it (contract "Fault codes"):
``<detail><tns:FaultDetail><tns:Field>FirstName</tns:Field></tns:FaultDetail></detail>``.
"""

from __future__ import annotations

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


def from_transport(error: Exception, operation: str) -> exc.TransportError:
    if isinstance(error, requests.Timeout):
        return exc.Timeout(f"{operation}: no answer within the timeout.")
    if isinstance(error, requests.exceptions.SSLError):
        return exc.ConnectionFailed(f"{operation}: TLS failed (is the partner's certificate trusted? "
                                    "set options.ca_bundle in the turn-up sheet).")
    if isinstance(error, requests.ConnectionError):
        return exc.ConnectionFailed(f"{operation}: the connection failed ({type(error).__name__}).")
    if isinstance(error, zeep.exceptions.TransportError):
        return exc.ProtocolError(f"{operation}: HTTP {error.status_code} without a SOAP envelope.",
                                 error.status_code)
    return exc.ProtocolError(f"{operation}: the answer could not be read ({type(error).__name__}).")
