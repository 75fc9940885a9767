"""The Connector's client for partners that publish the ``urn:connector-partner:v1`` contract.

``PartnerClient`` (generated from the WSDL by ``python -m partner_client.codegen``) has
one typed method per operation; ``sync`` links staff and lead sources; ``push`` saves
people and remembers their partner IDs in a ``LinkStore``; ``partner-client`` is the
command line. See the wire contract (contract.md), "What the Connector does with it".

The names below are imported on first use (PEP 562), so importing one small module of
the package (``partner_client.ns``, the console script's ``__main__``) does not first
import zeep, requests and SQLAlchemy.
"""

from __future__ import annotations

import importlib

_HOMES = {
    "capabilities": ("Capabilities", "LeadSourceMode"),
    "exceptions": ("AuthenticationError", "ConfigurationError", "ConnectionFailed", "Fault", "Forbidden",
                   "NotFound", "NotOffered", "PartnerError", "ProtocolError", "ServerError", "Timeout",
                   "TransportError", "Unavailable", "ValidationError"),
    "generated.service": ("PartnerClient",),
    "generated.types": ("Action", "Gender", "LeadSource", "Member", "Prospect", "RecordError", "SaveResult",
                        "Staff", "Status", "UserType"),
    "linkstore": ("LinkStore",),
    "settings": ("ConnectionSettings",),
    "sheet": ("TurnupSheet", "parse_sheet", "read_sheet"),
}
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}
__all__ = sorted(_MODULE_OF)


def __getattr__(name: str):
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # once: later lookups are plain module attributes
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

