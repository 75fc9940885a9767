"""The WSDL compatibility checker: each breaking rule on a broken copy of a released WSDL,
additive copies passing, and every released WSDL against the one this service publishes."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from partner_service import wsdl_compat
from partner_service.entrypoints.cli import published_wsdl

ROOT = Path(__file__).resolve().parents[2]
RELEASED = ROOT / "wsdl" / "released"
CHANGELOG = ROOT / "wsdl" / "CHANGELOG.md"
BASE = (RELEASED / "1.0.wsdl").read_text()


def element(name: str, type_: str, min_occurs: int = 0) -> str:
    """One element line of a sequence, as the published WSDL writes it."""
    return (f'          <xs:element name="{name}" type="{type_}" minOccurs="{min_occurs}" maxOccurs="1" '
            'nillable="false"/>\n')


def enumeration(*values: str) -> str:
    return "".join(f'          <xs:enumeration value="{v}"/>\n' for v in values)


PROSPECT_END = element("TrialEndDate", "xs:date")
NEW_OPERATION = {
    "element": '      <xs:element name="Ping" type="tns:Ping"/>\n',
    "type": '      <xs:complexType name="Ping">\n        <xs:sequence/>\n      </xs:complexType>\n',
    "message": '  <wsdl:message name="Ping">\n    <wsdl:part name="Ping" element="tns:Ping"/>\n'
               '  </wsdl:message>\n',
    "port": '    <wsdl:operation name="Ping">\n      <wsdl:input name="Ping" message="tns:Ping"/>\n'
            '      <wsdl:output name="PingResponse" message="tns:Ping"/>\n    </wsdl:operation>\n',
    "binding": '    <wsdl:operation name="Ping">\n      <soap:operation soapAction="Ping" style="document"/>\n'
               '      <wsdl:input name="Ping">\n        <soap:body use="literal"/>\n      </wsdl:input>\n'
               '      <wsdl:output name="PingResponse">\n        <soap:body use="literal"/>\n'
               '      </wsdl:output>\n'
               '    </wsdl:operation>\n',
}
POLICY = ('  <wsp:Policy xmlns:wsp="http://www.w3.org/ns/ws-policy" Name="UsernameToken">'
          '<wsp:ExactlyOne/></wsp:Policy>\n')


def edit(text: str, old: str, new: str, count: int = 1) -> str:
    assert text.count(old) >= count, f"the base WSDL has no {old!r}"
    return text.replace(old, new) if count == 0 else text.replace(old, new, count)


def with_new_operation(text: str) -> str:
    text = edit(text, '      <xs:element name="GetLeadSources"', NEW_OPERATION["element"]
                + '      <xs:element name="GetLeadSources"')
    text = edit(text, '      <xs:complexType name="Prospect">', NEW_OPERATION["type"]
                + '      <xs:complexType name="Prospect">')
    text = edit(text, "  <wsdl:portType", NEW_OPERATION["message"] + "  <wsdl:portType")
    text = edit(text, "  </wsdl:portType>", NEW_OPERATION["port"] + "  </wsdl:portType>")
    return edit(text, "  </wsdl:binding>", NEW_OPERATION["binding"] + "  </wsdl:binding>")


def without_operation(text: str, name: str) -> str:
    return re.sub(rf'    <wsdl:operation name="{name}">.*?</wsdl:operation>\n', "", text, flags=re.S)


BREAKING = {
    "operation removed": (lambda t: without_operation(t, "GetLeadSources"),
                          "operation GetLeadSources", "removed or renamed"),
    "operation renamed": (lambda t: t.replace('<wsdl:operation name="SaveLeadSource">',
                                              '<wsdl:operation name="CreateLeadSource">'),
                          "operation SaveLeadSource", "removed or renamed"),
    "element removed": (lambda t: edit(t, element("City", "tns:String100"), "", 0),
                        "type tns:Prospect/City", "element removed or renamed"),
    "element renamed": (lambda t: edit(t, '<xs:element name="Company"', '<xs:element name="CompanyName"', 0),
                        "type tns:Member/Company", "element removed or renamed"),
    "optional element made required": (
        lambda t: edit(t, '<xs:element name="Email" type="tns:String254" minOccurs="0"',
                       '<xs:element name="Email" type="tns:String254" minOccurs="1"', 0),
        "type tns:Prospect/Email", "optional element made required (in a request)"),
    "maxLength shortened": (lambda t: edit(t, '<xs:maxLength value="254"/>', '<xs:maxLength value="120"/>'),
                            "type tns:Prospect/Email", "maxLength 254 -> 120 (narrowed in a request)"),
    "pattern added": (lambda t: edit(t, '<xs:maxLength value="20"/>',
                                     '<xs:maxLength value="20"/>\n          <xs:pattern value="[0-9]+"/>'),
                      "type tns:Prospect/Zipcode", "pattern None -> ['[0-9]+'] (narrowed in a request)"),
    "enumeration value removed from a request type": (
        lambda t: edit(t, enumeration("Other"), ""),
        "type tns:Prospect/Gender", "enumeration value 'Other' removed"),
    "new required request element": (
        lambda t: edit(t, PROSPECT_END, PROSPECT_END + element("Region", "tns:String80", 1)),
        "type tns:Prospect/Region", "new required element in a request type"),
    "changed namespace": (lambda t: t.replace("urn:connector-partner:v1", "urn:connector-partner:v2"),
                          "definitions", "target namespace changed from urn:connector-partner:v1 to "
                                         "urn:connector-partner:v2"),
    "changed soapAction": (lambda t: edit(t, 'soapAction="SaveProspect"', 'soapAction="urn:SaveProspect"'),
                           "operation SaveProspect", "binding soapAction changed from 'SaveProspect' to "
                                                     "'urn:SaveProspect'"),
    "new element before existing ones": (
        lambda t: edit(t, '          <xs:element name="TrialStartDate"', '          <xs:element name="Region" '
                       'type="tns:String80" minOccurs="0" maxOccurs="1" nillable="false"/>\n'
                       '          <xs:element name="TrialStartDate"'),
        "type tns:Prospect/Region", "new element inserted before existing ones (only the end of a sequence "
                                    "may grow)"),
    "enumeration value added to a response type": (
        lambda t: edit(t, enumeration("Failed"), enumeration("Failed", "Merged")),
        "type tns:SaveResult/Action", "enumeration value 'Merged' added (a client's enum built from the old "
                                      "WSDL cannot hold it)"),
    "new optional element at the end of a response type": (
        lambda t: edit(t, element("UserType", "tns:UserType"), element("UserType", "tns:UserType")
                       + element("Note", "tns:String200")),
        "type tns:SaveResult/Note", "new element in a response type (zeep built from the old WSDL, strict as "
                                    "by default, refuses an element it does not know)"),
    "message part renamed": (
        lambda t: edit(t, '<wsdl:part name="SaveProspect" element="tns:SaveProspect"/>',
                       '<wsdl:part name="parameters" element="tns:SaveProspect"/>'),
        "operation SaveProspect", "input changed from ['SaveProspect=tns:SaveProspect'] to "
                                  "['parameters=tns:SaveProspect']"),
    "policy removed": (lambda t: t, "extension", None),  # the base with a policy, the copy without
}


@pytest.mark.parametrize("rule", sorted(BREAKING))
def test_each_breaking_rule_is_flagged_on_a_broken_copy(rule):
    mutate, where, what = BREAKING[rule]
    old = BASE if rule != "policy removed" else edit(BASE, "  <wsdl:types>", POLICY + "  <wsdl:types>")
    new = mutate(BASE)
    assert new != old
    broken = wsdl_compat.breaking(wsdl_compat.compare(old.encode(), new.encode()))
    assert any(c.where == where and (what is None or c.what == what) for c in broken), \
        "\n".join(map(str, broken)) or "nothing flagged"


ADDITIVE = {
    "new operation": (with_new_operation, "operation Ping", "new operation"),
    "new optional element at the end": (
        lambda t: edit(t, PROSPECT_END, PROSPECT_END + element("Region", "tns:String80")),
        "type tns:Prospect/Region", "new optional element at the end of the sequence"),
    "longer maxLength": (lambda t: edit(t, '<xs:maxLength value="254"/>', '<xs:maxLength value="320"/>'),
                         "type tns:Prospect/Email", "maxLength 254 -> 320"),
    "new enumeration value in a request type": (
        lambda t: edit(t, enumeration("Unspecified"), enumeration("Unspecified", "X")),
        "type tns:Prospect/Gender", "enumeration value 'X' added"),
    "a WS-Policy added": (lambda t: edit(t, "  <wsdl:types>", POLICY + "  <wsdl:types>"), "extension", None),
    "documentation and address changed": (
        lambda t: edit(t, 'location="http://localhost:8080/soap"', 'location="https://sandbox.example/soap"')
        .replace("<wsdl:types>", "<wsdl:documentation>Sandbox</wsdl:documentation>\n  <wsdl:types>", 1),
        None, None),
}


@pytest.mark.parametrize("change", sorted(ADDITIVE))
def test_additive_changes_pass_and_are_listed(change):
    mutate, where, what = ADDITIVE[change]
    new = mutate(BASE)
    assert new != BASE
    changes = wsdl_compat.compare(BASE.encode(), new.encode())
    assert wsdl_compat.breaking(changes) == [], "\n".join(map(str, changes))
    if where is None:
        assert changes == []
    else:
        assert any(c.where == where and (what is None or c.what == what) for c in changes), \
            "\n".join(map(str, changes))


def releases() -> list[Path]:
    return sorted(RELEASED.glob("*.wsdl"), key=lambda p: tuple(int(n) for n in p.stem.split(".")))


@pytest.mark.parametrize("released", releases(), ids=lambda p: p.stem)
def test_the_published_wsdl_breaks_no_released_contract(released):
    changes = wsdl_compat.compare(released.read_bytes(), published_wsdl())
    assert wsdl_compat.breaking(changes) == [], "\n".join(map(str, changes))


def test_every_wsdl_change_is_a_release_with_a_changelog_entry():
    """The versioning rule: the newest released file is the published WSDL, byte for byte, and
    every release has its heading in wsdl/CHANGELOG.md."""
    assert releases()[-1].read_bytes() == published_wsdl(), \
        "the WSDL changed without a release: copy it to wsdl/released/<next>.wsdl and add a changelog entry"
    headings = re.findall(r"^## (\d+\.\d+)\b", CHANGELOG.read_text(), flags=re.M)
    assert sorted(headings) == sorted(p.stem for p in releases())


def test_the_command_names_a_breaking_change_and_exits_1(tmp_path):
    broken = tmp_path / "broken.wsdl"
    broken.write_text(without_operation(BASE, "GetLeadSources"))
    command = [sys.executable, "-c", "from partner_service.entrypoints.cli import main; main()",
               "wsdl", "compat"]
    done = subprocess.run([*command, str(RELEASED / "1.0.wsdl"), str(broken)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 1
    assert "breaking: operation GetLeadSources: removed or renamed" in done.stdout
    done = subprocess.run([*command, str(RELEASED / "1.0.wsdl")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 breaking" in done.stderr
