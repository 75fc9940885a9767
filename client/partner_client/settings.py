"""How to reach one partner: endpoint, credential, TLS, timeouts, retries.

Contract "Transport" and "Authentication": HTTPS in production, plain HTTP only on
loopback; WS-Security UsernameToken (OASIS UsernameToken Profile 1.1) with a
``PasswordDigest`` by default or ``PasswordText`` (what .NET WCF can send; TLS protects it).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .exceptions import ConfigurationError

PASSWORD_TYPES = ("digest", "text")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ConnectionSettings:
    """One partner endpoint. Timeouts are always set: a call never waits forever.

    ``operations``: the operations the partner publishes, when known without reading its
    WSDL (the turn-up sheet's ``[options] operations``); ``None`` reads ``?wsdl`` once.
    ``attempts``: tries of a call that is safe to repeat (see ``retry``), the first included.
    """

    url: str
    username: str
    password: str = field(repr=False)
    password_type: str = "digest"  # noqa: S105 (the UsernameToken password type, not a secret)
    verify: bool = True
    ca_bundle: str | None = None
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    attempts: int = 4
    backoff: float = 0.5
    backoff_max: float = 8.0
    operations: tuple[str, ...] | None = None
    insecure_http: bool = False

    def __post_init__(self):
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigurationError("url must be an http(s) URL of the SOAP endpoint, e.g. https://host/soap.")
        if parts.scheme == "http" and not (self.insecure_http or is_loopback(parts.hostname)):
            raise ConfigurationError("Plain http is only allowed to a loopback address; use https "
                                     "(or set insecure_http behind a TLS-terminating proxy).")
        if self.password_type not in PASSWORD_TYPES:
            raise ConfigurationError(f"password_type must be one of {', '.join(PASSWORD_TYPES)}.")
        if not self.username:
            raise ConfigurationError("A username is required (WS-Security UsernameToken).")
        if self.connect_timeout <= 0 or self.read_timeout <= 0:
            raise ConfigurationError("connect_timeout and read_timeout must be positive seconds.")
        if self.attempts < 1:
            raise ConfigurationError("attempts must be at least 1.")

    @property
    def timeout(self) -> tuple[float, float]:
        """(connect, read) as requests takes it."""
        return (self.connect_timeout, self.read_timeout)

    @property
    def tls_verify(self) -> bool | str:
        """requests' ``verify``: the CA bundle path when one is given."""
        if not self.verify:
            return False
        return self.ca_bundle or True
