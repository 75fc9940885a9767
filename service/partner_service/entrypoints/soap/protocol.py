"""SOAP 1.1 as spyne does it, made strict and safe at the entrance.

- parsing refuses DTDs (WS-I Basic Profile R1008) so entities and XInclude never run;
- the WS-Security header is checked before the body is looked at;
- schema errors become ``Client.Validation`` naming the field, never echoing its value;
- WSS fault codes are written as ``wsse:`` QNames (spyne only knows ``soap:`` ones).
"""

from __future__ import annotations

from lxml import etree
from spyne.model.fault import Fault
from spyne.protocol.soap import Soap11
from spyne.protocol.soap.soap11 import _from_soap

from ...domain.errors import DomainError
from .faults import client_fault, domain_fault, validation_fault
from .namespaces import SOAP11_ENV, SOAP12_ENV

_PARSER_OPTIONS = dict(resolve_entities=False, no_network=True, load_dtd=False,
                       dtd_validation=False, huge_tree=False, remove_pis=True,
                       collect_ids=False)

# lxml schema error types -> what to tell the caller (without the offending value).
_SCHEMA_MESSAGES = {
    "SCHEMAV_CVC_MAXLENGTH_VALID": "is longer than allowed",
    "SCHEMAV_CVC_ENUMERATION_VALID": "is not one of the allowed values",
    "SCHEMAV_CVC_DATATYPE_VALID_1_2_1": "has the wrong type or format",
    "SCHEMAV_CVC_COMPLEX_TYPE_2_4": "is missing, unexpected or out of order",
    "SCHEMAV_ELEMENT_CONTENT": "is missing, unexpected or out of order",
}


class RequestState:
    """Per-request data spyne carries for us in ``ctx.udc``."""

    def __init__(self):
        self.principal = None


def parse_envelope(body: bytes) -> etree._Element:
    """Parse a request body; a DTD or bad XML is a ``Client`` fault, never an expansion."""
    parser = etree.XMLParser(**_PARSER_OPTIONS)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError:
        raise client_fault("Client.XMLSyntaxError",
                           "The request is not well-formed XML (UTF-8, one SOAP envelope).") from None
    except ValueError:
        raise client_fault("Client.XMLSyntaxError", "The request body is not XML.") from None
    if root.getroottree().docinfo.doctype:
        raise client_fault("Client.XMLSyntaxError", "A SOAP message must not contain a DTD.")
    return root


def _field_of(error) -> str:
    """The local name of the element an lxml schema error points at."""
    path = (error.path or "").rstrip("/")
    last = path.rsplit("/", 1)[-1] if path else ""
    last = last.split("[", 1)[0]
    return last.split(":", 1)[-1] or "Body"


class PartnerSoap11(Soap11):
    def __init__(self, authenticate, **kwargs):
        super().__init__(validator="lxml", **kwargs)
        self._authenticate = authenticate

    def create_in_document(self, ctx, charset=None):
        ctx.in_document = parse_envelope(b"".join(ctx.in_string))

    def decompose_incoming_envelope(self, ctx, message=Soap11.REQUEST):
        envelope = ctx.in_document
        if envelope.tag == f"{{{SOAP12_ENV}}}Envelope":
            raise client_fault("VersionMismatch", "This endpoint speaks SOAP 1.1 only.")
        header, body = _from_soap(envelope, None, ns=SOAP11_ENV)
        if body is None:
            raise client_fault("Client.SoapError", "The SOAP Body holds no operation.")
        ctx.in_header_doc, ctx.in_body_doc = header, body
        ctx.method_request_string = body.tag
        if body.tag == f"{{{SOAP11_ENV}}}Fault":
            raise client_fault("Client.SoapError", "A request must not be a Fault.")
        ctx.udc = RequestState()
        try:
            ctx.udc.principal = self._authenticate(header or [])
        except DomainError as error:
            raise domain_fault(error) from None
        self.validate_body(ctx, message)

    def validate_body(self, ctx, message):
        schema = self.validation_schema
        if schema is None or schema.validate(ctx.in_body_doc):
            return
        error = schema.error_log.last_error
        field = _field_of(error)
        reason = _SCHEMA_MESSAGES.get(error.type_name, "is not valid for the schema")
        raise validation_fault(field, f"{field} {reason} (see the WSDL's schema).")

    def fault_to_parent(self, ctx, cls, inst, parent, ns, *args, **kwargs):
        code = inst.faultcode
        if code.startswith("{"):
            namespace, local = code[1:].split("}", 1)
            faultcode = etree.Element("faultcode", nsmap={"wsse": namespace})
            faultcode.text = f"wsse:{local}"
        else:
            faultcode = etree.Element("faultcode")
            faultcode.text = f"{self.soap_env}:{code}"
        faultstring = etree.Element("faultstring")
        faultstring.text = inst.faultstring
        return self._fault_to_parent_impl(ctx, cls, inst, parent, ns, [faultcode, faultstring])


__all__ = ["PartnerSoap11", "parse_envelope", "Fault"]
