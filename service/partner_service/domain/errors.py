"""Rule violations raised by the domain and service layer.

Each maps to one fault code of the wire contract (see ``entrypoints/soap/faults.py``);
messages are written for the caller and never contain personal data or secrets.
"""


class DomainError(Exception):
    """Root of every error a caller can be told about; ``code`` is the contract's fault code."""

    code = "Server"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ValidationError(DomainError):
    """A field value breaks a rule (contract: ``Client.Validation``)."""

    code = "Client.Validation"

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class NotFound(DomainError):
    """Nothing of that ID exists for the caller's client (contract: ``Client.NotFound``)."""

    code = "Client.NotFound"


class Forbidden(DomainError):
    """A club outside the credential's client or scope (contract: ``Client.Forbidden``)."""

    code = "Client.Forbidden"


class Unavailable(DomainError):
    """The database cannot be reached; nothing was saved (contract: ``Server.Unavailable``)."""

    code = "Server.Unavailable"


class Conflict(Unavailable):
    """Another transaction got in first: it took a unique key this one wanted, or the two
    deadlocked. What this one read is stale; the work is worth doing again (and a caller
    told about it may simply retry, as for ``Unavailable``)."""


class RolledBack(DomainError):
    """A batch record that was valid but undone because another failed under AllOrNone."""

    code = "Client.RolledBack"


class SecurityRefused(DomainError):
    """The WS-Security header is missing, malformed, wrong or replayed.

    ``reason`` is the WSS 1.1 fault code's local name: ``InvalidSecurity``,
    ``FailedAuthentication`` or ``MessageExpired``.
    """

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.code = f"wsse:{reason}"
