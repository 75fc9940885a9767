"""Everything the client raises, under one root, :class:`PartnerError`.

The fault classes follow the contract's fault codes ("Fault codes for the rest" and
"Authentication"): ``Client.Validation`` -> :class:`ValidationError` (with ``field``),
``Client.NotFound``, ``Client.Forbidden``, ``Server.Unavailable`` and the WSS 1.1
``wsse:*`` codes -> :class:`AuthenticationError`. Messages are the partner's fault
strings, which the contract keeps free of personal data.
"""

from __future__ import annotations


class PartnerError(Exception):
    """Root of every error of ``partner_client``."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ConfigurationError(PartnerError):
    """A turn-up sheet or setting that cannot work (missing key, http to a remote host...)."""


class NotOffered(PartnerError):
    """The partner's WSDL does not publish this operation (see ``capabilities``)."""

    def __init__(self, operation: str):
        super().__init__(f"The partner does not offer {operation}.")
        self.operation = operation


class TransportError(PartnerError):
    """No SOAP answer: the connection failed, timed out, or the answer was not SOAP."""


class ConnectionFailed(TransportError):
    """Connecting or keeping the connection failed (refused, reset, dropped, TLS)."""


class Timeout(TransportError):
    """Connecting or waiting for the answer took longer than the configured timeout."""


class ProtocolError(TransportError):
    """An HTTP answer that is not a SOAP envelope (a proxy's error page, a wrong URL)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class Fault(PartnerError):
    """A SOAP fault from the partner; ``code`` is the faultcode without its prefix."""

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.field = field

    def __str__(self) -> str:
        where = f" [{self.field}]" if self.field else ""
        return f"{self.code}{where}: {self.message}"


class ValidationError(Fault):
    """``Client.Validation``: a field value breaks a rule; ``field`` names it."""


class NotFound(Fault):
    """``Client.NotFound``: no such ID (or staff email) for this credential's client."""


class Forbidden(Fault):
    """``Client.Forbidden``: a club outside the credential's client or scope."""


class AuthenticationError(Fault):
    """A WSS 1.1 security fault: ``InvalidSecurity``, ``FailedAuthentication`` or
    ``MessageExpired`` (``code`` holds which)."""


class Unavailable(Fault):
    """``Server.Unavailable``: the partner's database is down; nothing was saved, retry later."""


class ServerError(Fault):
    """Any other fault (``Server``, ``Client`` or an unknown code)."""


class InputError(PartnerError):
    """An input file that cannot be read as records: encoding, header, a missing file."""
