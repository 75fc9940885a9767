"""Faults of the contract, as spyne ``Fault`` objects.

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
from .namespaces import SOAP11_ENV, TNS, WSSE

log = logging.getLogger("partner_service.faults")


def _detail(field: str | None = None, correlation_id: str | None = None):
    """``tns:FaultDetail`` with what there is to say, or None (no empty ``detail``)."""
    if not field and not correlation_id:
        return None
    detail = etree.Element(f"{{{TNS}}}FaultDetail", nsmap={"tns": TNS})
    if field:
        etree.SubElement(detail, f"{{{TNS}}}Field").text = field
    if correlation_id:
        etree.SubElement(detail, f"{{{TNS}}}CorrelationId").text = correlation_id
    return detail


def domain_fault(error: DomainError) -> Fault:
    if isinstance(error, SecurityRefused):
        return Fault(faultcode=f"{{{WSSE}}}{error.reason}", faultstring=error.message)
    return Fault(faultcode=error.code, faultstring=error.message,
                 detail=_detail(field=getattr(error, "field", None)))


def validation_fault(field: str, message: str) -> Fault:
    return Fault(faultcode="Client.Validation", faultstring=message, detail=_detail(field=field))


def client_fault(code: str, message: str) -> Fault:
    return Fault(faultcode=code, faultstring=message)


def server_fault(exc: BaseException | None = None) -> Fault:
    """An unexpected error: logged in full under a correlation ID the caller is given."""
    correlation_id = uuid.uuid4().hex[:16]
    log.error("unexpected error, correlation_id=%s", correlation_id, exc_info=exc)
    return Fault(faultcode="Server",
                 faultstring=f"Internal error; quote correlation ID {correlation_id} to the operator.",
                 detail=_detail(correlation_id=correlation_id))


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
    if fault.detail is not None:
        etree.SubElement(node, "detail").append(fault.detail)
    # As spyne's output: tns declared once on the envelope when used; wsse only in the code's text.
    etree.cleanup_namespaces(envelope, keep_ns_prefixes=["wsse"])
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")
