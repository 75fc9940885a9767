"""SOAP 1.1 as spyne does it, made strict and safe at the entrance.

- parsing refuses DTDs (WS-I Basic Profile R1008) so entities and XInclude never run;
  nesting deeper than ``MAX_DEPTH``, XML other than 1.0, encodings other than UTF-8 and
  UTF-16 (WS-I R1012) and a Content-Type charset that disagrees with the document are
  refused too, each with its own message;
- the envelope must be SOAP 1.1 (else ``VersionMismatch``) with exactly one operation, the
  one a non-empty ``SOAPAction`` header names (a gateway that filters on SOAPAction cannot be
  walked around with another operation in the Body);
- the WS-Security header is checked before the body is looked at;
- schema errors and values the schema allows but Python cannot hold (year 10000,
  24:00:00) become ``Client.Validation`` naming the field; control characters that
  XML allows (DEL, C1: the trace of a mislabelled encoding) are refused the same way;
- a fault never repeats what the caller sent: only names the schema declares are quoted;
- WSS fault codes are written as ``wsse:`` QNames (spyne only knows ``soap:`` ones).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, datetime

from lxml import etree
from spyne.error import ValidationError as SpyneValidationError
from spyne.model.fault import Fault
from spyne.protocol.soap import Soap11

from ...domain.errors import DomainError
from .fastxml import FastComplexXml
from .faults import client_fault, completed, domain_fault, validation_fault
from .namespaces import SOAP11_ENV, XSD
from .spyne_internals import write_fault

_PARSER_OPTIONS = dict(resolve_entities=False, no_network=True, load_dtd=False,
                       dtd_validation=False, huge_tree=False, remove_pis=True,
                       collect_ids=False)

# A real request nests about a dozen levels (Envelope/Body/SaveProspects/Prospects/
# Prospect/FieldsToNull/FieldName, Header/Security/UsernameToken/Password); libxml2's
# own limit without huge_tree is 256. Refusing far earlier keeps every later walk cheap.
MAX_DEPTH = 64
_TOO_DEEP = etree.XPath("boolean(" + "/*" * (MAX_DEPTH + 1) + ")")

# Characters XML 1.0 lets through that no name, address or phone number holds.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

_SYNTAX = "Client.XMLSyntaxError"
_MESSAGES = {
    "too_deep": f"The request nests elements deeper than {MAX_DEPTH} levels.",
    "too_big": "The request holds a text node or name larger than the parser allows.",
    "encoding": "The request must be encoded as UTF-8 (or UTF-16), as declared "
                "(Content-Type: text/xml; charset=utf-8).",
    "not_xml": "The request is not well-formed XML (UTF-8, one SOAP envelope).",
    "gzip": "The request body is gzip-compressed; send the SOAP envelope uncompressed, as text/xml.",
    "empty": "The request body is empty; POST one SOAP 1.1 envelope.",
    "undeclared_entity": "The request uses an entity reference; a SOAP message declares no entities.",
}
_ERROR_KINDS = {"ERR_INVALID_ENCODING": "encoding", "ERR_UNSUPPORTED_ENCODING": "encoding",
                "ERR_UNDECLARED_ENTITY": "undeclared_entity"}
_GZIP_MAGIC = b"\x1f\x8b"

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
        self.nonce = None  # the token's writes (``auth.NonceRecord``), when left to the operation's save

    def take_nonce(self):
        """The token's nonce record, for the one save that writes it (None when already written)."""
        nonce, self.nonce = self.nonce, None
        return nonce


def _syntax_kind(error: etree.XMLSyntaxError) -> str:
    for entry in error.error_log:
        if entry.type_name == "ERR_RESOURCE_LIMIT":
            return "too_deep" if "depth" in entry.message.lower() else "too_big"
        if entry.type_name in _ERROR_KINDS:
            return _ERROR_KINDS[entry.type_name]
    return "not_xml"


def _encoding_family(name: str | None) -> str | None:
    """``utf-8`` or ``utf-16`` for the names of those two encodings; None for anything else."""
    label = (name or "").strip().strip('"').lower().replace("_", "-")
    if label in ("utf-8", "utf8"):
        return "utf-8"
    if label in ("utf-16", "utf-16le", "utf-16be", "utf16"):
        return "utf-16"
    return None


def parse_envelope(body: bytes, charset: str | None = None) -> etree._Element:
    """Parse a request body; anything but plain XML 1.0 in UTF-8/16 is a ``Client`` fault.

    ``charset`` is the Content-Type's parameter, when the caller sent one: it must name
    the encoding the document really uses (WS-I R1018), else the text would be misread.
    """
    if not body.strip():
        raise client_fault(_SYNTAX, _MESSAGES["empty"])
    if body.startswith(_GZIP_MAGIC):
        raise client_fault(_SYNTAX, _MESSAGES["gzip"])
    parser = etree.XMLParser(**_PARSER_OPTIONS)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as error:
        raise client_fault(_SYNTAX, _MESSAGES[_syntax_kind(error)]) from None
    except ValueError:
        raise client_fault(_SYNTAX, _MESSAGES["not_xml"]) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise client_fault(_SYNTAX, "A SOAP message must not contain a DTD.")
    if docinfo.xml_version != "1.0":
        raise client_fault(_SYNTAX, "A SOAP 1.1 message is XML 1.0.")
    family = _encoding_family(docinfo.encoding)
    if family is None or (charset and _encoding_family(charset) != family):
        raise client_fault(_SYNTAX, _MESSAGES["encoding"])
    if _TOO_DEEP(root):
        raise client_fault(_SYNTAX, _MESSAGES["too_deep"])
    return root


def _check_soap_action(soap_action: str | None, operation: etree._Element) -> None:
    """A SOAPAction that names an operation (WS-I BP R2744: the WSDL's soapAction, here the
    operation's name) must name the Body's; an absent or empty one (``""``) says nothing."""
    action = (soap_action or "").strip().strip('"').strip()
    if not action:
        return
    name = etree.QName(operation).localname
    if action == name or action.endswith((f"/{name}", f"#{name}", f":{name}")):
        return
    raise client_fault("Client", "The SOAPAction header names another operation than the SOAP Body "
                                 "holds; send the Body's operation name as SOAPAction (the WSDL's "
                                 "soapAction) or an empty SOAPAction.")


def split_envelope(envelope: etree._Element, soap_action: str | None = None) -> tuple[list, etree._Element]:
    """The header's children and the one operation element of a SOAP 1.1 envelope, which the
    request's ``SOAPAction`` header (when given and not empty) must name."""
    if etree.QName(envelope).localname == "Envelope" and envelope.tag != f"{{{SOAP11_ENV}}}Envelope":
        raise client_fault("VersionMismatch", "This endpoint speaks SOAP 1.1 only "
                           f"(envelope namespace {SOAP11_ENV}).")
    if envelope.tag != f"{{{SOAP11_ENV}}}Envelope":
        raise client_fault("Client.SoapError", "The request is not a SOAP 1.1 Envelope.")
    headers = envelope.findall(f"{{{SOAP11_ENV}}}Header")
    bodies = envelope.findall(f"{{{SOAP11_ENV}}}Body")
    if len(headers) > 1 or len(bodies) != 1:
        raise client_fault("Client.SoapError", "A SOAP Envelope holds at most one Header and one Body.")
    operations = [child for child in bodies[0] if isinstance(child.tag, str)]
    if len(operations) != 1:
        raise client_fault("Client.SoapError", "The SOAP Body must hold exactly one operation element.")
    if operations[0].tag == f"{{{SOAP11_ENV}}}Fault":
        raise client_fault("Client.SoapError", "A request must not be a Fault.")
    _check_soap_action(soap_action, operations[0])
    header = [child for child in headers[0] if isinstance(child.tag, str)] if headers else []
    return header, operations[0]


def _declared_names(soap_app) -> frozenset[str]:
    """Every element name the contract's schema declares: the only names a fault may quote."""
    names = set()
    for schema in soap_app.interface.docs.xml_schema.schema_dict.values():
        names.update(node.get("name") for node in schema.iter(f"{{{XSD}}}element") if node.get("name"))
    return frozenset(names)


class PartnerSoap11(FastComplexXml, Soap11):
    """``saves``: operation tags whose save records the token's nonce with its own writes (one
    commit per request instead of two; on SQLite one trip through the writer's queue), from
    ``ctx.udc.take_nonce()``. ``record_nonce_alone(nonce)`` records it for a request of theirs
    refused before the save, so that no refused message can be replayed either."""

    def __init__(self, authenticate, saves: frozenset[str] = frozenset(),
                 record_nonce_alone: Callable[[object], None] | None = None, **kwargs):
        super().__init__(validator="lxml", **kwargs)
        self._authenticate = authenticate
        self._open = getattr(authenticate, "open", None) if record_nonce_alone is not None else None
        self._saves = saves
        self._record_nonce_alone = record_nonce_alone
        self.declared_names: frozenset[str] = frozenset()
        # lxml's schema object has one error log, cleared and filled by every check: checks in
        # two threads at once read each other's errors (another request's field, or none).
        self._schema_check = threading.Lock()

    def set_app(self, value):
        super().set_app(value)
        if value is not None:
            self.declared_names = _declared_names(value)

    def field_name(self, element_or_name) -> str:
        """The element's name when the schema declares it; a caller's own names are not repeated."""
        name = element_or_name if isinstance(element_or_name, str) else etree.QName(element_or_name).localname
        return name if name in self.declared_names else "Body"

    def create_in_document(self, ctx, charset=None):
        ctx.in_document = parse_envelope(b"".join(ctx.in_string), charset)

    def decompose_incoming_envelope(self, ctx, message=Soap11.REQUEST):
        environ = getattr(ctx.transport, "req_env", None) or {}
        header, body = split_envelope(ctx.in_document, environ.get("HTTP_SOAPACTION"))
        ctx.in_header_doc, ctx.in_body_doc = header, body
        ctx.method_request_string = body.tag
        ctx.udc = RequestState()
        try:
            if self._open is not None and body.tag in self._saves:
                ctx.udc.principal, ctx.udc.nonce = self._open(header)  # its writes left to the save
            else:
                ctx.udc.principal = self._authenticate(header)
        except DomainError as error:
            raise domain_fault(error) from None
        with self._nonce_recorded_on_fault(ctx):
            self.validate_body(ctx, message)

    def deserialize(self, ctx, message):
        with self._nonce_recorded_on_fault(ctx):
            super().deserialize(ctx, message)

    @contextmanager
    def _nonce_recorded_on_fault(self, ctx):
        """A request refused before its save still has its nonce recorded; a replay is told so
        (as when the nonce is written first), not what else is wrong with it."""
        try:
            yield
        except Fault:
            nonce = ctx.udc.take_nonce() if isinstance(ctx.udc, RequestState) else None
            if nonce is not None:
                try:
                    self._record_nonce_alone(nonce)
                except DomainError as error:
                    raise domain_fault(error) from None
            raise

    def validate_body(self, ctx, message):
        schema = self.validation_schema
        if schema is None:
            error = None
        else:
            with self._schema_check:
                error = None if schema.validate(ctx.in_body_doc) else schema.error_log.last_error
        if error is not None:
            field = self.field_name(_path_name(error.path))
            if field == "Body":
                raise validation_fault(field, "The Body holds an element the schema does not "
                                              "declare there (see the WSDL's schema).")
            reason = _SCHEMA_MESSAGES.get(error.type_name, "is not valid for the schema")
            raise validation_fault(field, f"{field} {reason} (see the WSDL's schema).")
        for element in ctx.in_body_doc.iter(tag=etree.Element):
            if element.text and _CONTROL.search(element.text):
                field = self.field_name(element)
                raise validation_fault(field, f"{field} contains a control character.")

    def from_element(self, ctx, cls, element):
        """Deserialize one element; a value Python cannot hold is that field's validation fault."""
        try:
            value = super().from_element(ctx, cls, element)
            if isinstance(value, datetime) and value.tzinfo is not None:
                value.astimezone(UTC)  # an instant outside years 1..9999 in UTC cannot be stored
            return value
        except SpyneValidationError:
            pass
        except Fault:
            raise
        except (ValueError, OverflowError, TypeError):
            pass
        field = self.field_name(element)
        raise validation_fault(field, f"{field} is out of range or in the wrong format.")

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
        return write_fault(self, ctx, cls, completed(inst), parent, ns, [faultcode, faultstring])


def _path_name(path: str | None) -> str:
    """The local name of the element an lxml schema error's path points at."""
    last = (path or "").rstrip("/").rsplit("/", 1)[-1]
    return last.split("[", 1)[0].split(":", 1)[-1]


__all__ = ["PartnerSoap11", "parse_envelope", "split_envelope", "Fault", "MAX_DEPTH"]
