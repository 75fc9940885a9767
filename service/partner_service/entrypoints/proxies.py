"""Who called, and over which scheme, when the service sits behind a proxy (``trusted_proxies``).

The front (deploy/haproxy) connects to the service itself, so the socket's peer is the front;
it names the caller in ``X-Forwarded-For`` and the scheme in ``X-Forwarded-Proto``. Those
headers are believed only on a connection from a trusted proxy (``PARTNER_TRUSTED_PROXIES``):
from anyone else they are the caller's own words and are ignored. Through a chain of proxies
the caller is the rightmost address of ``X-Forwarded-For`` that is not itself a trusted proxy
(every address to its left was written by the caller or an untrusted hop, so could be forged).

The answer replaces ``REMOTE_ADDR`` and ``wsgi.url_scheme`` for everything below: the request
log, the failure throttle, the WSDL's address. The socket's own peer stays in ``PEER_KEY``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

PEER_KEY = "partner.peer"
_SCHEMES = {"http", "https"}

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:        # [2001:db8::1]:443
        text = text[1:text.index("]")]
    elif text.count(":") == 1:                       # 192.0.2.1:443
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class TrustedProxies:
    def __init__(self, networks: Iterable[Network] = ()):
        self.networks = tuple(networks)

    def trusts(self, address) -> bool:
        return address is not None and any(address in network for network in self.networks)

    def apply(self, environ) -> None:
        """Set ``REMOTE_ADDR`` and ``wsgi.url_scheme`` to the caller's, as trusted proxies say."""
        peer = environ.get("REMOTE_ADDR", "")
        environ[PEER_KEY] = peer
        if not self.networks or not self.trusts(_address(peer)):
            return
        caller = None
        for hop in reversed(environ.get("HTTP_X_FORWARDED_FOR", "").split(",")):
            address = _address(hop)
            if address is None:
                break                 # garbage: nothing left of it can be believed
            caller = address
            if not self.trusts(address):
                break
        if caller is not None:
            environ["REMOTE_ADDR"] = str(caller)
        scheme = environ.get("HTTP_X_FORWARDED_PROTO", "").rsplit(",", 1)[-1].strip().lower()
        if scheme in _SCHEMES:
            environ["wsgi.url_scheme"] = scheme


__all__ = ["PEER_KEY", "TrustedProxies"]
