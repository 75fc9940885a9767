"""Faults of the contract, as spyne ``Fault`` objects, and their one declared detail.

Every operation declares the ``wsdl:fault`` ``PartnerFault`` (release 1.1), whose part is
``tns:FaultDetail``: the fault code, the field a ``Client.Validation`` names, and the
correlation ID of a ``Server`` fault. Every fault document the service writes carries that
detail (``completed``), whether spyne writes it (``PartnerSoap11.fault_to_parent``) or the
WSGI front does (``fault_document``), so a typed client (wsimport, CXF, .NET, zeep) can map
each fault to its type.

A fault string never carries the request body, a password or personal data: messages
come from the domain's own wording, and unexpected errors only say a correlation ID
that the log also has.
"""

from __future__ import annotations

import logging
import uuid

from lxml import etree
from spyne.model.fault import Fault

from ...domain.errors import DomainError, SecurityRefused
from ...domain.fields import FIELD_NAME_MAX_LENGTH
from .namespaces import SOAP11_ENV, TNS, WSSE
from .types import optional, required, text

log = logging.getLogger("partner_service.faults")

CODE_MAX_LENGTH = 40
CORRELATION_ID_MAX_LENGTH = 32
FAULT_NAME = "PartnerFault"  # the wsdl:message and wsdl:fault name (wsdl.py names them)


class FaultDetail(Fault):
    """Declares ``tns:FaultDetail`` (``_throws`` of every operation), the detail of every fault:
    ``Code`` as the fault code reads (``Client.Validation``, ``wsse:FailedAuthentication``),
    ``Field`` the element a validation fault is about, ``CorrelationId`` what the log of an
    unexpected error is filed under."""

    __namespace__ = TNS
    __type_name__ = "FaultDetail"
    _type_info = [
        ("Code", required(text(CODE_MAX_LENGTH))),
        ("Field", optional(text(FIELD_NAME_MAX_LENGTH))),
        ("CorrelationId", optional(text(CORRELATION_ID_MAX_LENGTH))),
    ]


def code_text(faultcode: str | None) -> str:
    """The fault code as ``faultcode`` reads it, without the envelope's prefix."""
    code = str(faultcode or "Server")
    if code.startswith(f"{{{WSSE}}}"):
        return f"wsse:{code.split('}', 1)[1]}"
    return code.split("}", 1)[-1]


def _detail(code: str, field: str | None = None, correlation_id: str | None = None) -> etree._Element:
    """``tns:FaultDetail``, its children in the declared order."""
    detail = etree.Element(f"{{{TNS}}}FaultDetail", nsmap={"tns": TNS})
    etree.SubElement(detail, f"{{{TNS}}}Code").text = code_text(code)[:CODE_MAX_LENGTH]
    if field:
        etree.SubElement(detail, f"{{{TNS}}}Field").text = field
    if correlation_id:
        etree.SubElement(detail, f"{{{TNS}}}CorrelationId").text = correlation_id
    return detail


def completed(fault: Fault) -> Fault:
    """The fault with its ``FaultDetail``: one a fault of spyne's own lacks is made from its code."""
    detail = fault.detail
    if not (isinstance(detail, etree._Element) and detail.tag == f"{{{TNS}}}FaultDetail"):
        fault.detail = _detail(fault.faultcode)
    return fault


def domain_fault(error: DomainError) -> Fault:
    if isinstance(error, SecurityRefused):
        code = f"{{{WSSE}}}{error.reason}"
        return Fault(faultcode=code, faultstring=error.message, detail=_detail(code))
    return Fault(faultcode=error.code, faultstring=error.message,
                 detail=_detail(error.code, field=getattr(error, "field", None)))


def validation_fault(field: str, message: str) -> Fault:
    code = "Client.Validation"
    return Fault(faultcode=code, faultstring=message, detail=_detail(code, field=field))


def client_fault(code: str, message: str) -> Fault:
    return Fault(faultcode=code, faultstring=message, detail=_detail(code))


def server_fault(exc: BaseException | None = None) -> Fault:
    """An unexpected error: logged in full under a correlation ID the caller is given."""
    correlation_id = uuid.uuid4().hex[:16]
    log.error("unexpected error, correlation_id=%s", correlation_id, exc_info=exc)
    return Fault(faultcode="Server",
                 faultstring=f"Internal error; quote correlation ID {correlation_id} to the operator.",
                 detail=_detail("Server", correlation_id=correlation_id))


def fault_document(fault: Fault) -> bytes:
    """A whole SOAP 1.1 fault envelope, as spyne writes one (``PartnerSoap11.fault_to_parent``),
    for answers given outside a spyne request."""
    envelope = etree.Element(f"{{{SOAP11_ENV}}}Envelope", nsmap={"soap11env": SOAP11_ENV, "tns": TNS})
    body = etree.SubElement(envelope, f"{{{SOAP11_ENV}}}Body")
    node = etree.SubElement(body, f"{{{SOAP11_ENV}}}Fault")
    code = str(fault.faultcode)
    if code.startswith(f"{{{WSSE}}}"):
        etree.SubElement(node, "faultcode", nsmap={"wsse": WSSE}).text = f"wsse:{code.split('}', 1)[1]}"
    else:
        etree.SubElement(node, "faultcode").text = f"soap11env:{code}"
    etree.SubElement(node, "faultstring").text = fault.faultstring
    etree.SubElement(node, "detail").append(completed(fault).detail)
    # As spyne's output: tns declared once on the envelope when used; wsse only in the code's text.
    etree.cleanup_namespaces(envelope, keep_ns_prefixes=["wsse"])
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")
