"""The published WSDL: spyne's document, made canonical and explicit.

Spyne's raw WSDL differs from what other stacks want (``service`` before ``portType``,
optional elements marked nillable, ``minOccurs`` left implicit, types in declaration
order, spare top-level elements). ``canonical_wsdl`` fixes each and adds the binding's
WS-SecurityPolicy (``security_policy.py``), so the bytes are the same on every start and
match the committed ``wsdl/partner.wsdl``.
"""

from __future__ import annotations

from lxml import etree
from spyne import Application
from spyne.interface.wsdl import Wsdl11

from .application import SERVICE_NAME
from .faults import FAULT_NAME, FaultDetail
from .namespaces import TNS, WSDL, WSDL_SOAP, XSD
from .security_policy import NAMESPACES as POLICY_NAMESPACES
from .security_policy import attach_security_policy

DEFAULT_LOCATION = "http://localhost:8080/soap"
SOAP_OVER_HTTP = "http://schemas.xmlsoap.org/soap/http"
PORT_TYPE_NAME = f"{SERVICE_NAME}PortType"
BINDING_NAME = f"{SERVICE_NAME}SoapBinding"
_ORDER = ["documentation", "types", "message", "portType", "binding", "service"]
_KEEP_PREFIXES = ["xs", "tns", "wsdl", "soap", *POLICY_NAMESPACES]


def _q(ns: str, local: str) -> str:
    return f"{{{ns}}}{local}"


def _explicit_occurs(schema: etree._Element) -> None:
    for element in schema.iter(_q(XSD, "element")):
        if element.getparent().tag == _q(XSD, "schema"):
            continue
        attrs = dict(element.attrib)
        element.attrib.clear()
        element.set("name", attrs.pop("name"))
        element.set("type", attrs.pop("type"))
        element.set("minOccurs", attrs.pop("minOccurs", "1"))
        element.set("maxOccurs", attrs.pop("maxOccurs", "1"))
        element.set("nillable", "false")


def _empty_types_as_sequences(schema: etree._Element) -> None:
    """JAX-WS maps an operation to wrapper style only when its wrapper type is a sequence;
    spyne writes a wrapper without parameters (``GetLeadSources``) as a bare complexType."""
    for complex_type in schema.findall(_q(XSD, "complexType")):
        if len(complex_type) == 0:
            etree.SubElement(complex_type, _q(XSD, "sequence"))


def _shared_string_types(schema: etree._Element) -> None:
    """Spyne derives one simple type per field (``Prospect_CityType``); a string with only a
    length is the same type wherever it is used, so publish it once as ``String100``."""
    renamed: dict[str, str] = {}
    published: set[str] = set()
    for simple in schema.findall(_q(XSD, "simpleType")):
        restriction = simple.find(_q(XSD, "restriction"))
        facets = list(restriction) if restriction is not None else []
        if (restriction is None or restriction.get("base") != "xs:string" or len(facets) != 1
                or facets[0].tag != _q(XSD, "maxLength")):
            continue
        shared = f"String{facets[0].get('value')}"
        renamed[f"tns:{simple.get('name')}"] = f"tns:{shared}"
        if shared in published:
            schema.remove(simple)
        else:
            simple.set("name", shared)
            published.add(shared)
    for element in schema.iter(_q(XSD, "element")):
        if element.get("type") in renamed:
            element.set("type", renamed[element.get("type")])


def _prune_and_sort(schema: etree._Element, used_elements: set[str]) -> None:
    rank = {_q(XSD, "simpleType"): 0, _q(XSD, "complexType"): 1, _q(XSD, "element"): 2}
    children = [c for c in schema if c.tag in rank]
    for child in children:
        schema.remove(child)
        if child.tag == _q(XSD, "element") and child.get("name") not in used_elements:
            continue
        child.tail = None
    kept = [c for c in children if c.tag != _q(XSD, "element") or c.get("name") in used_elements]
    for child in sorted(kept, key=lambda c: (rank[c.tag], c.get("name"))):
        schema.append(child)


def _single_service(root: etree._Element, location: str) -> None:
    for service in root.findall(_q(WSDL, "service")):
        root.remove(service)
    service = etree.SubElement(root, _q(WSDL, "service"), name=SERVICE_NAME)
    port = etree.SubElement(service, _q(WSDL, "port"), name=f"{SERVICE_NAME}Port",
                            binding=f"tns:{BINDING_NAME}")
    etree.SubElement(port, _q(WSDL_SOAP, "address"), location=location)


def _distinct_names(root: etree._Element) -> None:
    """spyne names portType, binding and service alike; JAX-WS then makes a class
    ``PartnerService_Service``. Give each its own name (``…PortType``, ``…SoapBinding``)."""
    port_type = root.find(_q(WSDL, "portType"))
    port_type.set("name", PORT_TYPE_NAME)
    binding = root.find(_q(WSDL, "binding"))
    binding.set("name", BINDING_NAME)
    binding.set("type", f"tns:{PORT_TYPE_NAME}")


def _fault_names(root: etree._Element) -> None:
    """spyne names a fault's message and ``wsdl:fault`` after its detail type (``FaultDetail``);
    wsimport then makes an exception ``FaultDetail_Exception`` beside the bean ``FaultDetail``.
    Name them ``PartnerFault`` instead (an exception ``PartnerFault`` whose info is ``FaultDetail``)."""
    detail = FaultDetail.get_type_name()
    for message in root.findall(_q(WSDL, "message")):
        if message.get("name") == detail:
            message.set("name", FAULT_NAME)
            message.find(_q(WSDL, "part")).set("name", detail)
    for fault in root.iter(_q(WSDL, "fault"), _q(WSDL_SOAP, "fault")):
        if fault.get("name") == detail:
            fault.set("name", FAULT_NAME)
        if fault.get("message") == f"tns:{detail}":
            fault.set("message", f"tns:{FAULT_NAME}")


def _sort_operations(root: etree._Element) -> None:
    for parent in root.findall(_q(WSDL, "portType")) + root.findall(_q(WSDL, "binding")):
        ops = parent.findall(_q(WSDL, "operation"))
        for op in ops:
            parent.remove(op)
        for op in sorted(ops, key=lambda o: o.get("name")):
            parent.append(op)
    messages = root.findall(_q(WSDL, "message"))
    for message in messages:
        root.remove(message)
    types = root.find(_q(WSDL, "types"))
    for message in sorted(messages, key=lambda m: m.get("name"), reverse=True):
        types.addnext(message)


ENVIRONMENT_NOTES = {
    "production": "Environment: production. Live data: every save is a real person's record.",
    "sandbox": "Environment: sandbox. Test data only, reset nightly; values beginning SANDBOX- make the "
               "service answer the failures a client must handle (docs/test-site.md).",
}


def canonical_wsdl(app: Application, location: str = DEFAULT_LOCATION,
                   environment: str = "production") -> bytes:
    """The WSDL as published; its ``wsdl:documentation`` names the environment (production or
    sandbox) so that no one mistakes a test site's contract for production's."""
    spyne_wsdl = Wsdl11(app.interface)
    spyne_wsdl.build_interface_document(location)
    source = etree.fromstring(spyne_wsdl.get_interface_document())
    nsmap = {"wsdl": WSDL, "soap": WSDL_SOAP, "xs": XSD, "tns": TNS, **POLICY_NAMESPACES}
    root = etree.Element(_q(WSDL, "definitions"), nsmap=nsmap,
                         name=SERVICE_NAME, targetNamespace=TNS)
    etree.SubElement(root, _q(WSDL, "documentation")).text = (
        f"{SERVICE_NAME} (contract {TNS}, releases in wsdl/CHANGELOG.md). {ENVIRONMENT_NOTES[environment]}")
    for child in sorted(source, key=lambda c: _ORDER.index(etree.QName(c).localname)):
        root.append(child)
    used = {part.get("element").split(":", 1)[1]
            for part in root.iter(_q(WSDL, "part")) if part.get("element")}
    for schema in root.iter(_q(XSD, "schema")):
        _shared_string_types(schema)
        _empty_types_as_sequences(schema)
        _explicit_occurs(schema)
        _prune_and_sort(schema, used)
    for operation in root.iter(_q(WSDL, "operation")):
        operation.attrib.pop("parameterOrder", None)
    for soap_binding in root.iter(_q(WSDL_SOAP, "binding")):
        # spyne writes the transport of the server it is mounted in, if any, at build time
        soap_binding.set("transport", SOAP_OVER_HTTP)
    _distinct_names(root)
    _fault_names(root)
    _single_service(root, location)
    _sort_operations(root)
    attach_security_policy(root)
    for element in root.iter():
        element.tail = None
        if element.text is not None and not element.text.strip():
            element.text = None
    etree.cleanup_namespaces(root, top_nsmap=nsmap, keep_ns_prefixes=_KEEP_PREFIXES)
    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
