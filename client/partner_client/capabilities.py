"""What a partner offers, read from the operations its WSDL publishes.

The seed's "Lead Source Synchronization" has three modes by what the partner's API
has (list and create; list only; create only), its "Staff Synchronization" needs a
staff list or a lookup by email, and the contract's batch operations are optional
("A partner may publish the single operations only: the client decides by the WSDL").
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from lxml import etree

from .exceptions import ConfigurationError, PartnerError
from .ns import BUNDLED_WSDL, WSDL

_PARSER = dict(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


class LeadSourceMode(StrEnum):
    LIST_AND_CREATE = "list and create"
    LIST_ONLY = "list only"
    CREATE_ONLY = "create only"
    NONE = "none"


# user type -> (batch operation, single operation)
SAVE_OPERATIONS = {
    "Prospect": ("SaveProspects", "SaveProspect"),
    "Member": ("SaveMembers", "SaveMember"),
    "ExMember": ("SaveExMembers", "SaveExMember"),
}


def operations_in_wsdl(wsdl: bytes) -> frozenset[str]:
    """The ``wsdl:portType`` operations of a WSDL document."""
    try:
        root = etree.fromstring(wsdl, etree.XMLParser(**_PARSER))
    except (etree.XMLSyntaxError, ValueError):
        raise PartnerError("The partner's WSDL is not well-formed XML.") from None
    names = root.xpath("wsdl:portType/wsdl:operation/@name", namespaces={"wsdl": WSDL})
    if not names:
        raise PartnerError("The partner's WSDL publishes no operation.")
    return frozenset(str(n) for n in names)


@functools.cache
def known_operations() -> frozenset[str]:
    """Every operation of the contract (the bundled WSDL)."""
    return operations_in_wsdl(BUNDLED_WSDL.read_bytes())


@dataclass(frozen=True)
class Capabilities:
    operations: frozenset[str]

    @classmethod
    def of(cls, operations: Iterable[str]) -> Capabilities:
        names = frozenset(operations)
        unknown = names - known_operations()
        if unknown:
            raise ConfigurationError(f"Not operations of the contract: {', '.join(sorted(unknown))}.")
        return cls(names)

    def __contains__(self, operation: str) -> bool:
        return operation in self.operations

    @property
    def staff_lookup(self) -> str | None:
        """``GetStaffList`` (one call for everyone) when offered, else ``GetStaffByEmail``."""
        for operation in ("GetStaffList", "GetStaffByEmail"):
            if operation in self:
                return operation
        return None

    @property
    def lead_source_mode(self) -> LeadSourceMode:
        can_list, can_save = "GetLeadSources" in self, "SaveLeadSource" in self
        if can_list and can_save:
            return LeadSourceMode.LIST_AND_CREATE
        if can_list:
            return LeadSourceMode.LIST_ONLY
        return LeadSourceMode.CREATE_ONLY if can_save else LeadSourceMode.NONE

    @property
    def can_rename_lead_sources(self) -> bool:
        """``SaveLeadSource`` with a ``LeadSourceId`` renames; without it no rename is sent."""
        return "SaveLeadSource" in self

    def save_operations(self, user_type: str) -> tuple[str | None, str | None]:
        """(batch, single) operation for a user type, each ``None`` when not published."""
        batch, single = SAVE_OPERATIONS[user_type]
        return (batch if batch in self else None, single if single in self else None)

    def describe(self) -> dict[str, str]:
        return {
            "staff": self.staff_lookup or "none (prospects go without owner)",
            "lead sources": str(self.lead_source_mode),
            **{user_type: " + ".join(op for op in self.save_operations(user_type) if op) or "none"
               for user_type in SAVE_OPERATIONS},
        }
