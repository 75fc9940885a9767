"""Is a new WSDL compatible with an old one? Each change, judged additive or breaking.

``partner-service wsdl compat OLD [NEW]`` (NEW: the WSDL this service publishes) and the
test over ``wsdl/released/*.wsdl`` call ``compare(old, new)``. A client built from OLD
must keep working against a service publishing NEW; a change that could stop it is
*breaking*, anything else is *additive*. The rules (docs/test-site.md, "Versioning"):

- breaking: an operation, message, element or named type removed or renamed; a changed
  target namespace, soapAction, binding style, or message part (its element, or its name: a
  part's name is not on the wire, but .NET's ``wsdl.exe`` and ``svcutil`` unwrap an operation
  only when its part is named ``parameters``, so a .NET proxy regenerated from NEW would
  change its signatures); an element's type changed;
  a request element made required or a new required request element; a new element in a
  response type (zeep, strict by default, refuses an unknown element); a request type
  narrowed (maxLength shortened, minLength raised, a pattern added or changed); an
  enumeration value removed from a request type or added to a response type (a Java enum
  built from OLD cannot hold it); a response element made optional or repeating; a new
  element anywhere but at the end of its sequence; a declared fault removed;
- additive: a new operation, a new optional element at the end of a request type's sequence, a longer
  maxLength, a new enumeration value in a request type, a new declared fault, a new named
  type or global element.

Direction matters, so each complex type is judged by where the two documents use it: in a
request (reachable from an operation's input), in a response (output or fault), or both.

Elements of other namespaces (``wsp:Policy``, ``wsp:PolicyReference`` ...) are not judged,
only reported: a new or changed one is additive, one removed is breaking (a client may rely
on it). ``wsdl:documentation``, ``xs:annotation`` and the service's address are ignored.
XML Schema constructs the checker does not model (``xs:choice``, attributes, derivation)
are compared as text: any difference there is reported as breaking, to be judged by a person.

The trade-off: the checker reads the WSDL as this service writes it (one schema per
namespace, document/literal, named complex types holding an ``xs:sequence``); it does not
try to decide every question XML Schema can pose, and says so when it meets one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from lxml import etree

WSDL = "http://schemas.xmlsoap.org/wsdl/"
WSDL_SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"
XSD = "http://www.w3.org/2001/XMLSchema"
_JUDGED = {WSDL, WSDL_SOAP, XSD}
BREAKING, ADDITIVE = "breaking", "additive"
REQUEST, RESPONSE = "request", "response"
_FACETS_NARROWING = ("pattern", "length", "minInclusive", "maxInclusive", "minExclusive", "maxExclusive",
                     "totalDigits", "fractionDigits", "whiteSpace")


@dataclass(frozen=True, order=True)
class Change:
    kind: str   # BREAKING or ADDITIVE
    where: str  # e.g. "operation SaveProspect", "type tns:Prospect/LastName"
    what: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.where}: {self.what}"


@dataclass(frozen=True)
class _Element:
    name: str
    type: tuple[str, str]  # (namespace, local name) of its type
    min_occurs: int
    max_occurs: int | None  # None: unbounded


@dataclass
class _Document:
    """What the comparison needs of one WSDL."""

    tns: str
    schema_tns: set[str] = field(default_factory=set)
    elements: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    complex: dict[tuple[str, str], list[_Element] | str] = field(default_factory=dict)  # str: unmodelled XML
    simple: dict[tuple[str, str], tuple[tuple[str, str], dict[str, list[str]]]] = field(default_factory=dict)
    messages: dict[str, list[tuple[str, tuple[str, str] | None]]] = field(default_factory=dict)
    operations: dict[str, dict] = field(default_factory=dict)
    bindings: dict[str, dict] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # portType, binding, service, port names
    extensions: set[str] = field(default_factory=set)


def _qname(node: etree._Element, value: str | None) -> tuple[str, str]:
    prefix, _, local = (value or "").rpartition(":")
    return node.nsmap.get(prefix or None, ""), local


def _occurs(value: str | None, default: int = 1) -> int | None:
    if value == "unbounded":
        return None
    return default if value is None else int(value)


def _text_of(node: etree._Element) -> str:
    copy = etree.fromstring(etree.tostring(node))
    for annotation in copy.iter(f"{{{XSD}}}annotation"):
        annotation.getparent().remove(annotation)
    return etree.tostring(copy, method="c14n").decode()


def _path(node: etree._Element) -> str:
    parts = []
    while node is not None:
        name = etree.QName(node).localname
        label = node.get("name") or node.get("URI") or node.get("{http://docs.oasis-open.org/wss/2004/01/"
                                                               "oasis-200401-wss-wssecurity-utility-1.0.xsd}Id")
        parts.append(f"{name}[{label}]" if label else name)
        node = node.getparent()
    return "/".join(reversed(parts))


def _extensions(root: etree._Element) -> set[str]:
    """Every element of a namespace the checker does not judge, as path + attributes + text."""
    found = set()
    for node in root.iter(tag=etree.Element):
        if etree.QName(node).namespace in _JUDGED:
            continue
        attrs = " ".join(f"{k}={v!r}" for k, v in sorted(node.attrib.items()))
        text = (node.text or "").strip()
        found.add(f"{_path(node)} {attrs} {text!r}".strip() if attrs or text else _path(node))
    return found


def read(wsdl: bytes) -> _Document:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True)
    root = etree.fromstring(wsdl, parser)
    if root.tag != f"{{{WSDL}}}definitions":
        raise ValueError("not a WSDL 1.1 document (wsdl:definitions)")
    doc = _Document(tns=root.get("targetNamespace", ""))
    for schema in root.iterfind(f"{{{WSDL}}}types/{{{XSD}}}schema"):
        tns = schema.get("targetNamespace", "")
        doc.schema_tns.add(tns)
        for element in schema.iterfind(f"{{{XSD}}}element"):
            doc.elements[(tns, element.get("name"))] = _qname(element, element.get("type"))
        for simple in schema.iterfind(f"{{{XSD}}}simpleType"):
            restriction = simple.find(f"{{{XSD}}}restriction")
            if restriction is None:
                doc.simple[(tns, simple.get("name"))] = (("", _text_of(simple)), {})
                continue
            facets: dict[str, list[str]] = {}
            for facet in restriction:
                if isinstance(facet.tag, str) and etree.QName(facet).namespace == XSD:
                    facets.setdefault(etree.QName(facet).localname, []).append(facet.get("value"))
            doc.simple[(tns, simple.get("name"))] = (_qname(restriction, restriction.get("base")), facets)
        for complex_type in schema.iterfind(f"{{{XSD}}}complexType"):
            key = (tns, complex_type.get("name"))
            children = [c for c in complex_type if isinstance(c.tag, str) and c.tag != f"{{{XSD}}}annotation"]
            sequence = children[0] if len(children) == 1 and children[0].tag == f"{{{XSD}}}sequence" else None
            modelled = sequence is not None and all(
                c.tag == f"{{{XSD}}}element" and c.get("name") and c.get("type") for c in sequence
                if isinstance(c.tag, str) and c.tag != f"{{{XSD}}}annotation")
            if not children:
                doc.complex[key] = []
            elif modelled:
                doc.complex[key] = [
                    _Element(c.get("name"), _qname(c, c.get("type")), _occurs(c.get("minOccurs")),
                             _occurs(c.get("maxOccurs")))
                    for c in sequence if isinstance(c.tag, str) and c.tag == f"{{{XSD}}}element"]
            else:
                doc.complex[key] = _text_of(complex_type)
    for message in root.iterfind(f"{{{WSDL}}}message"):
        doc.messages[message.get("name")] = [
            (part.get("name"), _qname(part, part.get("element")) if part.get("element") else None)
            for part in message.iterfind(f"{{{WSDL}}}part")]
    port_type = root.find(f"{{{WSDL}}}portType")
    if port_type is not None:
        doc.names["portType"] = port_type.get("name")
        for op in port_type.iterfind(f"{{{WSDL}}}operation"):
            def message_of(child, op=op):
                node = op.find(f"{{{WSDL}}}{child}")
                return None if node is None else _qname(node, node.get("message"))[1]
            doc.operations[op.get("name")] = {
                "input": message_of("input"), "output": message_of("output"),
                "faults": {f.get("name"): _qname(f, f.get("message"))[1]
                           for f in op.iterfind(f"{{{WSDL}}}fault")}}
    binding = root.find(f"{{{WSDL}}}binding")
    if binding is not None:
        doc.names["binding"] = binding.get("name")
        soap_binding = binding.find(f"{{{WSDL_SOAP}}}binding")
        if soap_binding is not None:
            doc.names["binding style"] = soap_binding.get("style") or "document"
            doc.names["transport"] = soap_binding.get("transport") or ""
        for op in binding.iterfind(f"{{{WSDL}}}operation"):
            soap_op = op.find(f"{{{WSDL_SOAP}}}operation")
            uses = sorted({body.get("use", "literal") for body in op.iter(f"{{{WSDL_SOAP}}}body")})
            doc.bindings[op.get("name")] = {
                "soapAction": None if soap_op is None else soap_op.get("soapAction", ""),
                "style": None if soap_op is None else soap_op.get("style"),
                "use": ",".join(uses),
                "faults": sorted(f.get("name") for f in op.iterfind(f"{{{WSDL}}}fault"))}
    service = root.find(f"{{{WSDL}}}service")
    if service is not None:
        doc.names["service"] = service.get("name")
        port = service.find(f"{{{WSDL}}}port")
        if port is not None:
            doc.names["port"] = port.get("name")
    doc.extensions = _extensions(root)
    return doc


def _directions(doc: _Document) -> dict[tuple[str, str], set[str]]:
    """Where each complex or simple type is used: in requests, responses, or both."""
    used: dict[tuple[str, str], set[str]] = {}

    def visit(type_key: tuple[str, str], direction: str) -> None:
        if direction in used.setdefault(type_key, set()):
            return
        used[type_key].add(direction)
        members = doc.complex.get(type_key)
        if isinstance(members, list):
            for member in members:
                visit(member.type, direction)

    for op in doc.operations.values():
        for message, direction in ([(op["input"], REQUEST), (op["output"], RESPONSE)]
                                   + [(m, RESPONSE) for m in op["faults"].values()]):
            for _part, element in doc.messages.get(message, []):
                if element in doc.elements:
                    visit(doc.elements[element], direction)
    return used


def _show(key: tuple[str, str]) -> str:
    return f"xs:{key[1]}" if key[0] == XSD else f"tns:{key[1]}"


class _Comparison:
    def __init__(self, old: _Document, new: _Document):
        self.old, self.new = old, new
        self.changes: set[Change] = set()
        old_use, new_use = _directions(old), _directions(new)
        self.use = {k: old_use.get(k, set()) | new_use.get(k, set()) for k in {*old_use, *new_use}}

    def add(self, kind: str, where: str, what: str) -> None:
        self.changes.add(Change(kind, where, what))

    def run(self) -> list[Change]:
        self.namespaces()
        self.names()
        self.operations()
        self.messages()
        self.elements()
        self.types()
        self.extensions()
        return sorted(self.changes, key=lambda c: (c.kind != BREAKING, c.where, c.what))

    def namespaces(self) -> None:
        if self.old.tns != self.new.tns:
            self.add(BREAKING, "definitions", f"target namespace changed from {self.old.tns} to {self.new.tns}")
        for gone in sorted(self.old.schema_tns - self.new.schema_tns):
            self.add(BREAKING, "types", f"schema of namespace {gone} removed (or its namespace changed)")
        for added in sorted(self.new.schema_tns - self.old.schema_tns):
            self.add(ADDITIVE, "types", f"new schema of namespace {added}")

    def names(self) -> None:
        for name in sorted(set(self.old.names) | set(self.new.names)):
            before, after = self.old.names.get(name), self.new.names.get(name)
            if before != after:
                self.add(BREAKING, name, f"changed from {before} to {after}")

    def operations(self) -> None:
        old, new = self.old.operations, self.new.operations
        for name in sorted(old.keys() - new.keys()):
            self.add(BREAKING, f"operation {name}", "removed or renamed")
        for name in sorted(new.keys() - old.keys()):
            self.add(ADDITIVE, f"operation {name}", "new operation")
        for name in sorted(old.keys() & new.keys()):
            where = f"operation {name}"
            for part in ("input", "output"):
                before, after = self._message_elements(self.old, old[name][part]), \
                    self._message_elements(self.new, new[name][part])
                if before != after:
                    self.add(BREAKING, where, f"{part} changed from {before} to {after}")
            faults_before, faults_after = old[name]["faults"], new[name]["faults"]
            for fault in sorted(faults_before.keys() - faults_after.keys()):
                self.add(BREAKING, where, f"declared fault {fault} removed")
            for fault in sorted(faults_after.keys() - faults_before.keys()):
                self.add(ADDITIVE, where, f"new declared fault {fault}")
            for fault in sorted(faults_before.keys() & faults_after.keys()):
                before = self._message_elements(self.old, faults_before[fault])
                after = self._message_elements(self.new, faults_after[fault])
                if before != after:
                    self.add(BREAKING, where, f"fault {fault} changed from {before} to {after}")
        for name in sorted(self.old.bindings.keys() & self.new.bindings.keys()):
            before, after = self.old.bindings[name], self.new.bindings[name]
            for key in ("soapAction", "style", "use"):
                if before[key] != after[key]:
                    self.add(BREAKING, f"operation {name}", f"binding {key} changed from {before[key]!r} "
                                                            f"to {after[key]!r}")
            for fault in sorted(set(before["faults"]) - set(after["faults"])):
                self.add(BREAKING, f"operation {name}", f"binding of fault {fault} removed")
        for name in sorted((self.old.bindings.keys() - self.new.bindings.keys()) & new.keys()):
            self.add(BREAKING, f"operation {name}", "binding removed")

    @staticmethod
    def _message_elements(doc: _Document, message: str | None) -> list[str]:
        return [f"{part}={_show(element) if element else '?'}"
                for part, element in doc.messages.get(message, [])]

    def messages(self) -> None:
        for name in sorted(self.old.messages.keys() - self.new.messages.keys()):
            self.add(BREAKING, f"message {name}", "removed or renamed")

    def elements(self) -> None:
        for key in sorted(self.old.elements.keys() - self.new.elements.keys()):
            self.add(BREAKING, f"element {_show(key)}", "removed or renamed")
        for key in sorted(self.new.elements.keys() - self.old.elements.keys()):
            self.add(ADDITIVE, f"element {_show(key)}", "new global element")
        for key in sorted(self.old.elements.keys() & self.new.elements.keys()):
            self.compare_type(f"element {_show(key)}", self.old.elements[key], self.new.elements[key],
                              self.use.get(self.new.elements[key], set()) | self.use.get(self.old.elements[key],
                                                                                          set()))

    def types(self) -> None:
        for key in sorted(self.old.complex.keys() - self.new.complex.keys()):
            self.add(BREAKING, f"type {_show(key)}", "removed or renamed")
        for key in sorted(self.new.complex.keys() - self.old.complex.keys()):
            self.add(ADDITIVE, f"type {_show(key)}", "new type")
        for key in sorted(self.old.complex.keys() & self.new.complex.keys()):
            self.compare_sequence(key, self.old.complex[key], self.new.complex[key], self.use.get(key, set()))
        for key in sorted(self.old.simple.keys() - self.new.simple.keys()):
            if self.old.simple[key][1].get("enumeration"):
                self.add(BREAKING, f"type {_show(key)}", "enumeration removed or renamed")

    def compare_sequence(self, key, before, after, use: set[str]) -> None:
        where = f"type {_show(key)}"
        if isinstance(before, str) or isinstance(after, str):
            if before != after:
                self.add(BREAKING, where, "changed in a way the checker does not judge (not a plain "
                                          "xs:sequence of named elements): review it by hand")
            return
        old_names = [e.name for e in before]
        new_by_name = {e.name: e for e in after}
        new_names = [e.name for e in after]
        for element in before:
            if element.name not in new_by_name:
                self.add(BREAKING, f"{where}/{element.name}", "element removed or renamed")
        kept = [n for n in new_names if n in old_names]
        if kept != [n for n in old_names if n in new_by_name]:
            self.add(BREAKING, where, "elements reordered")
        last_old = max((new_names.index(n) for n in old_names if n in new_by_name), default=-1)
        for position, element in enumerate(after):
            if element.name in old_names:
                continue
            spot = f"{where}/{element.name}"
            if element.min_occurs > 0 and REQUEST in use:
                self.add(BREAKING, spot, "new required element in a request type")
            elif RESPONSE in use:
                self.add(BREAKING, spot, "new element in a response type (zeep built from the old WSDL, "
                                         "strict as by default, refuses an element it does not know)")
            elif position < last_old:
                self.add(BREAKING, spot, "new element inserted before existing ones (only the end of a "
                                         "sequence may grow)")
            else:
                self.add(ADDITIVE, spot, f"new {'optional' if element.min_occurs == 0 else 'required'} "
                                         "element at the end of the sequence")
        for element in before:
            if element.name in new_by_name:
                self.compare_element(f"{where}/{element.name}", element, new_by_name[element.name], use)

    def compare_element(self, where: str, before: _Element, after: _Element, use: set[str]) -> None:
        if REQUEST in use and before.min_occurs == 0 and after.min_occurs > 0:
            self.add(BREAKING, where, "optional element made required (in a request)")
        if RESPONSE in use and before.min_occurs > 0 and after.min_occurs == 0:
            self.add(BREAKING, where, "required element made optional (in a response)")
        if REQUEST in use and _less(after.max_occurs, before.max_occurs):
            self.add(BREAKING, where, f"fewer occurrences allowed ({_bound(before.max_occurs)} -> "
                                      f"{_bound(after.max_occurs)}) in a request")
        if RESPONSE in use and _less(before.max_occurs, after.max_occurs):
            self.add(BREAKING, where, f"more occurrences possible ({_bound(before.max_occurs)} -> "
                                      f"{_bound(after.max_occurs)}) in a response")
        changed = before.min_occurs != after.min_occurs or before.max_occurs != after.max_occurs
        if changed and not any(c.where == where and c.kind == BREAKING for c in self.changes):
            self.add(ADDITIVE, where, f"occurrences {before.min_occurs}..{_bound(before.max_occurs)} -> "
                                      f"{after.min_occurs}..{_bound(after.max_occurs)}")
        self.compare_type(where, before.type, after.type, use)

    def compare_type(self, where: str, before: tuple[str, str], after: tuple[str, str], use: set[str]) -> None:
        old_simple, new_simple = self.old.simple.get(before), self.new.simple.get(after)
        if old_simple is None and new_simple is None:
            if before != after:
                self.add(BREAKING, where, f"type changed from {_show(before)} to {_show(after)}")
            return
        old_base, old_facets = old_simple or (before, {})
        new_base, new_facets = new_simple or (after, {})
        if old_base != new_base:
            self.add(BREAKING, where, f"type changed from {_show(old_base)} to {_show(new_base)}")
            return
        self.compare_facets(where, old_facets, new_facets, use)

    def compare_facets(self, where: str, before: dict, after: dict, use: set[str]) -> None:
        request = REQUEST in use
        old_max, new_max = before.get("maxLength", [None])[0], after.get("maxLength", [None])[0]
        if old_max != new_max:
            narrower = new_max is not None and (old_max is None or int(new_max) < int(old_max))
            kind = BREAKING if narrower and request else ADDITIVE
            self.add(kind, where, f"maxLength {old_max or 'none'} -> {new_max or 'none'}"
                     + (" (narrowed in a request)" if kind == BREAKING else ""))
        old_min, new_min = before.get("minLength", [None])[0], after.get("minLength", [None])[0]
        if old_min != new_min:
            raised = new_min is not None and (old_min is None or int(new_min) > int(old_min))
            kind = BREAKING if raised and request else ADDITIVE
            self.add(kind, where, f"minLength {old_min or 'none'} -> {new_min or 'none'}")
        for facet in _FACETS_NARROWING:
            if before.get(facet) != after.get(facet):
                kind = BREAKING if request and after.get(facet) else ADDITIVE
                self.add(kind, where, f"{facet} {before.get(facet)} -> {after.get(facet)}"
                         + (" (narrowed in a request)" if kind == BREAKING else ""))
        old_values, new_values = before.get("enumeration", []), after.get("enumeration", [])
        for value in old_values:
            if value not in new_values:
                self.add(BREAKING if request else ADDITIVE, where, f"enumeration value {value!r} removed")
        for value in new_values:
            if value not in old_values:
                self.add(BREAKING if RESPONSE in use else ADDITIVE, where, f"enumeration value {value!r} added"
                         + (" (a client's enum built from the old WSDL cannot hold it)" if RESPONSE in use
                            else ""))

    def extensions(self) -> None:
        for gone in sorted(self.old.extensions - self.new.extensions):
            self.add(BREAKING, "extension", f"removed or changed (not judged): {gone}")
        for added in sorted(self.new.extensions - self.old.extensions):
            self.add(ADDITIVE, "extension", f"new or changed (not judged): {added}")


def _less(a: int | None, b: int | None) -> bool:
    """a < b for occurrence bounds, None being unbounded."""
    if a is None:
        return False
    return b is None or a < b


def _bound(value: int | None) -> str:
    return "unbounded" if value is None else str(value)


def compare(old: bytes, new: bytes) -> list[Change]:
    """Every difference between two WSDLs that a client could notice, breaking ones first."""
    return _Comparison(read(old), read(new)).run()


def breaking(changes: Iterable[Change]) -> list[Change]:
    return [c for c in changes if c.kind == BREAKING]
