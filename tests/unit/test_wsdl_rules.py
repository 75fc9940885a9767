"""The published WSDL keeps the WS-I Basic Profile 1.1 rules other SOAP stacks rely on.

``violations`` checks a WSDL document; the committed ``wsdl/partner.wsdl`` (and the WSDL
of a partner publishing fewer operations) must have none, and each rule is shown to
catch a copy of the WSDL broken in that one way, so the check cannot pass vacuously.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from lxml import etree
from partner_service.entrypoints.soap.application import Dependencies, build_application
from partner_service.entrypoints.soap.wsdl import canonical_wsdl

WSDL_FILE = Path(__file__).resolve().parents[2] / "wsdl" / "partner.wsdl"
NS = {"wsdl": "http://schemas.xmlsoap.org/wsdl/", "soap": "http://schemas.xmlsoap.org/wsdl/soap/",
      "xs": "http://www.w3.org/2001/XMLSchema"}
SOAP_ENCODING = "http://schemas.xmlsoap.org/soap/encoding/"
SOAP_OVER_HTTP = "http://schemas.xmlsoap.org/soap/http"
SECTION_ORDER = ["types", "message", "portType", "binding", "service"]


def _local(qname: str | None) -> str:
    return (qname or "").rsplit(":", 1)[-1]


def section_order(root) -> list[str]:
    """types, message, portType, binding, service (R2023 puts types first; stacks that
    read top-down want each section before the one that refers to it)."""
    found = [etree.QName(c).localname for c in root if isinstance(c.tag, str)]
    sections = [n for n in found if n in SECTION_ORDER]
    wrong = []
    if sections != sorted(sections, key=SECTION_ORDER.index):
        wrong.append(f"wsdl sections out of order: {sections}")
    if found.count("types") != 1:
        wrong.append("there must be exactly one wsdl:types")
    return wrong


def document_literal(root) -> list[str]:
    """R2705/R2706: document style and literal use everywhere; R2716: no namespace on soap:body."""
    wrong = []
    for binding in root.iterfind("wsdl:binding/soap:binding", NS):
        if binding.get("style", "document") != "document":
            wrong.append(f"binding style {binding.get('style')} is not document")
        if binding.get("transport") != SOAP_OVER_HTTP:
            wrong.append("binding transport is not SOAP over HTTP (R2702)")
    for op in root.iterfind("wsdl:binding/wsdl:operation/soap:operation", NS):
        if op.get("style", "document") != "document":
            wrong.append(f"operation style {op.get('style')} is not document")
    for body in root.iterfind("wsdl:binding/wsdl:operation/*/soap:body", NS):
        if body.get("use") != "literal" or body.get("encodingStyle") or body.get("namespace"):
            wrong.append(f"soap:body {dict(body.attrib)} is not plain literal")
    return wrong


def one_soap_action_per_operation(root) -> list[str]:
    wrong, seen = [], set()
    for op in root.iterfind("wsdl:binding/wsdl:operation", NS):
        actions = [o.get("soapAction") for o in op.iterfind("soap:operation", NS)]
        if len(actions) != 1 or not actions[0]:
            wrong.append(f"{op.get('name')} needs exactly one non-empty soapAction, has {actions}")
        elif actions[0] in seen:
            wrong.append(f"soapAction {actions[0]} is used by two operations")
        seen.update(a for a in actions if a)
    port_ops = {op.get("name") for op in root.iterfind("wsdl:portType/wsdl:operation", NS)}
    bound_ops = {op.get("name") for op in root.iterfind("wsdl:binding/wsdl:operation", NS)}
    if port_ops != bound_ops:
        wrong.append(f"portType and binding operations differ: {sorted(port_ops ^ bound_ops)}")
    return wrong


def wrapped_messages(root) -> list[str]:
    """R2201/R2204: one part per message, by element; wrapped: the input element is named
    as its operation, the output element as the operation + ``Response``, each a sequence."""
    wrong = []
    parts = {}
    for message in root.iterfind("wsdl:message", NS):
        found = message.findall("wsdl:part", NS)
        if len(found) != 1 or not found[0].get("element") or found[0].get("type"):
            wrong.append(f"message {message.get('name')} must have one part referencing an element")
        else:
            parts[message.get("name")] = _local(found[0].get("element"))
    declared = {e.get("name"): _local(e.get("type"))
                for e in root.iterfind("wsdl:types/xs:schema/xs:element", NS)}
    types = {t.get("name"): t for t in root.iterfind("wsdl:types/xs:schema/xs:complexType", NS)}
    for op in root.iterfind("wsdl:portType/wsdl:operation", NS):
        name = op.get("name")
        for io, expected in (("input", name), ("output", f"{name}Response")):
            ref = op.find(f"wsdl:{io}", NS)
            element = parts.get(_local(ref.get("message"))) if ref is not None else None
            if element != expected:
                wrong.append(f"{name} {io} wraps element {element}, not {expected}")
            elif element not in declared:
                wrong.append(f"element {element} is not declared in the schema")
            elif not _is_plain_sequence(types.get(declared[element])):
                wrong.append(f"wrapper {element} is not a complexType holding one xs:sequence")
    return wrong


def _is_plain_sequence(complex_type) -> bool:
    """JAX-WS wrapper style (JSR 224 2.3.1.2): the wrapper's type is a sequence, no attributes."""
    return complex_type is not None and [etree.QName(c).localname for c in complex_type] == ["sequence"]


def qualified_elements(root) -> list[str]:
    wrong = []
    for schema in root.iterfind("wsdl:types/xs:schema", NS):
        if schema.get("elementFormDefault") != "qualified":
            wrong.append(f"schema {schema.get('targetNamespace')} lacks elementFormDefault=qualified")
    for element in root.iterfind(".//xs:element[@form]", NS):
        if element.get("form") != "qualified":
            wrong.append(f"element {element.get('name')} is form={element.get('form')}")
    return wrong


def no_soap_encoding(root) -> list[str]:
    """R2110/R2111: no soapenc:Array and no wsdl:arrayType; R2706: no SOAP encoding at all."""
    wrong = []
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        for attr, value in node.attrib.items():
            if etree.QName(attr).localname in ("arrayType", "encodingStyle"):
                wrong.append(f"{etree.QName(node).localname} has SOAP-encoding attribute {attr}")
            if ":" in value and node.nsmap.get(value.split(":", 1)[0]) == SOAP_ENCODING:
                wrong.append(f"{etree.QName(node).localname} refers to SOAP encoding ({value})")
    return wrong


def explicit_occurrence(root) -> list[str]:
    """Every local element says minOccurs, maxOccurs and nillable="false" (plain types in Java/.NET)."""
    wrong = []
    for element in root.iterfind("wsdl:types/xs:schema//xs:element", NS):
        if element.getparent().tag == etree.QName(NS["xs"], "schema"):
            continue
        name = element.get("name") or element.get("ref")
        if element.get("minOccurs") is None or element.get("maxOccurs") is None:
            wrong.append(f"element {name} leaves minOccurs/maxOccurs implicit")
        if element.get("nillable") != "false":
            wrong.append(f"element {name} is nillable={element.get('nillable')} (must be explicit false)")
    return wrong


def schema_compiles(root) -> list[str]:
    """The embedded schema is a valid XSD whose every type reference resolves."""
    wrong = []
    for schema in root.iterfind("wsdl:types/xs:schema", NS):
        # standalone, the schema needs the prefixes it inherits from wsdl:definitions (tns:)
        standalone = etree.Element(schema.tag, dict(schema.attrib), nsmap=schema.nsmap)
        standalone.extend(copy.deepcopy(child) for child in schema)
        try:
            etree.XMLSchema(standalone)
        except etree.XMLSchemaParseError as error:
            wrong.append(f"the schema does not compile: {error}")
    return wrong


RULES = (section_order, document_literal, one_soap_action_per_operation, wrapped_messages,
         qualified_elements, no_soap_encoding, explicit_occurrence, schema_compiles)


def violations(root) -> list[str]:
    return [v for rule in RULES for v in rule(root)]


def committed_wsdl():
    return etree.parse(str(WSDL_FILE)).getroot()


def test_committed_wsdl_keeps_every_rule():
    assert violations(committed_wsdl()) == []


def test_a_partner_with_fewer_operations_publishes_a_wsdl_that_keeps_every_rule():
    app = build_application(Dependencies(uow=None, authenticate=None),
                            ["SaveProspect", "GetLeadSources", "SaveMembers"])
    root = etree.fromstring(canonical_wsdl(app))
    assert violations(root) == []
    assert len(root.findall("wsdl:portType/wsdl:operation", NS)) == 3


# --- each rule catches its own breakage ----------------------------------------------


def _first(root, path):
    return root.find(path, NS)


def _service_first(root):
    root.insert(0, _first(root, "wsdl:service"))


def _nillable(root):
    _first(root, "wsdl:types/xs:schema/xs:complexType/xs:sequence/xs:element").set("nillable", "true")


def _implicit_min_occurs(root):
    del _first(root, "wsdl:types/xs:schema/xs:complexType/xs:sequence/xs:element").attrib["minOccurs"]


def _two_parts(root):
    message = _first(root, "wsdl:message")
    etree.SubElement(message, f"{{{NS['wsdl']}}}part", name="Extra", element="tns:GetStaffList")


def _part_by_type(root):
    part = _first(root, "wsdl:message/wsdl:part")
    del part.attrib["element"]
    part.set("type", "xs:string")


def _encoded_body(root):
    body = _first(root, "wsdl:binding/wsdl:operation/wsdl:input/soap:body")
    body.set("use", "encoded")
    body.set("encodingStyle", SOAP_ENCODING)


def _rpc_style(root):
    _first(root, "wsdl:binding/soap:binding").set("style", "rpc")


def _no_soap_action(root):
    del _first(root, "wsdl:binding/wsdl:operation/soap:operation").attrib["soapAction"]


def _same_soap_action(root):
    ops = root.findall("wsdl:binding/wsdl:operation/soap:operation", NS)
    ops[1].set("soapAction", ops[0].get("soapAction"))


def _unqualified(root):
    del _first(root, "wsdl:types/xs:schema").attrib["elementFormDefault"]


def _soapenc_array(root):
    schema = _first(root, "wsdl:types/xs:schema")
    fragment = etree.fromstring(
        f'<xs:complexType xmlns:xs="{NS["xs"]}" xmlns:soapenc="{SOAP_ENCODING}" xmlns:wsdl="{NS["wsdl"]}"'
        ' name="StaffArray"><xs:complexContent><xs:restriction base="soapenc:Array">'
        '<xs:attribute ref="soapenc:arrayType" wsdl:arrayType="tns:Staff[]"/>'
        "</xs:restriction></xs:complexContent></xs:complexType>")
    schema.insert(0, fragment)


def _rpc_wrapper_name(root):
    part = _first(root, "wsdl:message[@name='GetStaffList']/wsdl:part")
    part.set("element", "tns:GetStaffByEmail")


def _bare_wrapper_type(root):
    wrapper = _first(root, "wsdl:types/xs:schema/xs:complexType[@name='GetLeadSources']")
    wrapper.remove(wrapper[0])


def _dangling_type(root):
    _first(root, "wsdl:types/xs:schema/xs:complexType/xs:sequence/xs:element").set("type", "tns:Nowhere")


BREAKAGES = {
    _service_first: "out of order", _nillable: "nillable=true", _implicit_min_occurs: "implicit",
    _two_parts: "one part", _part_by_type: "one part", _encoded_body: "not plain literal",
    _rpc_style: "not document", _no_soap_action: "exactly one non-empty soapAction",
    _same_soap_action: "used by two operations", _unqualified: "elementFormDefault",
    _soapenc_array: "SOAP-encoding attribute", _rpc_wrapper_name: "wraps element GetStaffByEmail",
    _dangling_type: "does not compile", _bare_wrapper_type: "not a complexType holding one xs:sequence",
}


@pytest.mark.parametrize("breakage", list(BREAKAGES), ids=lambda f: f.__name__.strip("_"))
def test_a_broken_copy_of_the_wsdl_fails_the_check(breakage):
    broken = copy.deepcopy(committed_wsdl())
    breakage(broken)
    found = violations(broken)
    assert any(BREAKAGES[breakage] in v for v in found), found
