"""Every use of spyne's private attributes in the service, behind one named extension point.

Purpose: the protocol (``protocol.PartnerSoap11``) and its fast reader and writer
(``fastxml.FastComplexXml``) need three things spyne keeps inside: whether a complex type has
alternative type info or a body-as-tag option (which the fast path does not handle), which
handler reads a simple type from text, and the fault writer under ``fault_to_parent`` (to
write ``wsse:`` fault codes, which spyne's own writer cannot). This module is where the
service touches them, and nowhere else does.

Contract: ``check(protocol)`` raises ``SpyneChanged`` when an internal used here is gone or no
longer what it was; ``tests/unit/test_spyne_internals.py`` runs it against the installed spyne,
and ``tests/integration/test_fastxml.py`` compares the fast path with spyne's byte for byte.

Trade-off: a spyne upgrade may need this module changed; in exchange the service writes WSS
fault codes and reads batches without spyne's generic per-element machinery.
"""

from __future__ import annotations

import inspect
from typing import Any


class SpyneChanged(RuntimeError):
    """The installed spyne no longer has what this module relies on."""


def tag_body_as(attrs: Any) -> Any:
    """A complex type's ``_xml_tag_body_as`` option (None when its members are elements)."""
    return attrs._xml_tag_body_as


def has_alternative_types(cls: Any) -> bool:
    """Whether a complex type carries alternative type info (``_type_info_alt``)."""
    return bool(getattr(cls, "_type_info_alt", None))


def text_reader(protocol: Any, member: Any) -> Any:
    """The protocol's handler that reads ``member`` from text (``_from_unicode_handlers``)."""
    return protocol._from_unicode_handlers[member]


def write_fault(protocol: Any, ctx, cls, inst, parent, ns, subelements: list) -> Any:
    """spyne's own fault writer with our faultcode and faultstring elements
    (``_fault_to_parent_impl``)."""
    return protocol._fault_to_parent_impl(ctx, cls, inst, parent, ns, subelements)


def check(protocol: Any) -> None:
    """Raise ``SpyneChanged`` unless every internal used here is as this module expects."""
    from spyne.model import Unicode
    from spyne.model.complex import ComplexModel

    try:
        tag_body_as(protocol.get_cls_attrs(ComplexModel))
        text_reader(protocol, Unicode)
        parameters = list(inspect.signature(protocol._fault_to_parent_impl).parameters)
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise SpyneChanged(f"spyne's internals changed: {error}") from None
    if parameters[:6] != ["ctx", "cls", "inst", "parent", "ns", "subelts"]:
        raise SpyneChanged(f"_fault_to_parent_impl takes {parameters}")
    if not hasattr(ComplexModel, "_type_info_alt"):
        raise SpyneChanged("ComplexModel has no _type_info_alt")


__all__ = ["SpyneChanged", "check", "has_alternative_types", "tag_body_as", "text_reader", "write_fault"]
