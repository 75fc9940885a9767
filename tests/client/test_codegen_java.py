"""The Java library's generated model and operation table are what the generator makes of
wsdl/partner.wsdl, byte for byte; the generator ignores what it does not use (typed faults,
WS-Policy) and refuses what it cannot map."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from partner_client import codegen_java

REPO = Path(__file__).parents[2]
REPO_WSDL = REPO / "wsdl" / "partner.wsdl"
JAVA = REPO / "client" / "java"
WSDL_NS = 'xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"'


def test_regenerating_changes_no_committed_file():
    for relative, content in codegen_java.render(REPO_WSDL.read_bytes()).items():
        assert (JAVA / relative).read_bytes() == content, (
            f"{relative} is stale: run `python -m partner_client.codegen_java` and commit the result")
    committed = {p.relative_to(JAVA) for p in (JAVA / codegen_java.MODEL_DIR).glob("*.java")}
    rendered = codegen_java.render(REPO_WSDL.read_bytes())
    assert committed == {p for p in rendered if p.parent == codegen_java.MODEL_DIR}


def test_check_mode_reports_a_stale_file_and_a_leftover_one(tmp_path, capsys):
    out = tmp_path / "java"
    assert codegen_java.main(["--out", str(out)]) == 0
    assert codegen_java.main(["--out", str(out), "--check"]) == 0
    unspecified = b'<xs:enumeration value="Unspecified"/>'
    changed = tmp_path / "partner.wsdl"
    added = b'<xs:enumeration value="Other2"/>'
    changed.write_bytes(REPO_WSDL.read_bytes().replace(unspecified, unspecified + added))
    (out / codegen_java.MODEL_DIR / "Removed.java").write_text("// a type the contract dropped\n")
    capsys.readouterr()
    assert codegen_java.main(["--wsdl", str(changed), "--out", str(out), "--check"]) == 1
    report = capsys.readouterr().out
    assert "model/Gender.java" in report and "model/Removed.java" in report
    assert codegen_java.main(["--wsdl", str(changed), "--out", str(out)]) == 0
    assert 'OTHER2("Other2")' in (out / codegen_java.MODEL_DIR / "Gender.java").read_text()
    assert not (out / codegen_java.MODEL_DIR / "Removed.java").exists()


def with_faults_and_policy(wsdl: str) -> str:
    """The committed WSDL plus what releases 1.1 (typed faults) and 1.2 (WS-SecurityPolicy) add
    (the policy's namespaces are declared once the committed WSDL carries release 1.2)."""
    if "xmlns:wsp=" not in wsdl:
        wsdl = wsdl.replace(WSDL_NS, WSDL_NS + ' xmlns:wsp="http://www.w3.org/ns/ws-policy"'
                            ' xmlns:sp="http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702"'
                            ' xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/'
                            'oasis-200401-wss-wssecurity-utility-1.0.xsd"', 1)
    detail = ('<xs:complexType name="FaultDetail"><xs:sequence>'
              '<xs:element name="Field" type="xs:string" minOccurs="0"/>'
              '<xs:element name="CorrelationId" type="xs:string" minOccurs="0"/>'
              '</xs:sequence></xs:complexType>'
              '<xs:element name="ValidationFault" type="tns:FaultDetail"/>')
    wsdl = wsdl.replace("</xs:schema>", detail + "</xs:schema>", 1)
    wsdl = wsdl.replace("<wsdl:portType", '<wsdl:message name="ValidationFault">'
                        '<wsdl:part name="ValidationFault" element="tns:ValidationFault"/></wsdl:message>'
                        '<wsp:Policy wsu:Id="UsernameToken"><sp:SupportingTokens><wsp:Policy>'
                        '<sp:UsernameToken/></wsp:Policy></sp:SupportingTokens></wsp:Policy><wsdl:portType', 1)
    wsdl = re.sub(r'(<wsdl:output name="(\w+)Response" message="tns:\w+"/>)(\s*</wsdl:operation>)',
                  r'\1<wsdl:fault name="ValidationFault" message="tns:ValidationFault"/>\3', wsdl)
    wsdl = re.sub(r'(<wsdl:binding [^>]*>)', r'\1<wsp:PolicyReference URI="#UsernameToken"/>', wsdl)
    return re.sub(r'(</wsdl:output>)(\s*</wsdl:operation>)',
                  r'\1<wsdl:fault name="ValidationFault"><soap:fault name="ValidationFault" use="literal"/>'
                  r'</wsdl:fault>\2', wsdl)


def test_typed_faults_and_a_security_policy_change_no_generated_java():
    plain = REPO_WSDL.read_text()
    extended = with_faults_and_policy(plain)
    assert extended.count("<wsdl:fault ") == 20 and "wsp:PolicyReference" in extended
    before = codegen_java.render(plain.encode())
    after = codegen_java.render(extended.encode())
    assert set(before) == set(after)
    for relative, content in before.items():
        if relative != codegen_java.BUNDLED_WSDL:
            assert after[relative] == content, relative
    assert after[codegen_java.BUNDLED_WSDL] == extended.encode()


def test_the_public_model_names_are_the_issues():
    files = {p.name for p in codegen_java.render(REPO_WSDL.read_bytes())}
    assert {"Prospect.java", "Member.java", "LeadSource.java", "Staff.java", "SaveResult.java",
            "RecordError.java", "SaveAction.java", "UserType.java", "Gender.java", "Status.java",
            "Operations.java"} <= files
    prospect = (JAVA / codegen_java.MODEL_DIR / "Prospect.java").read_text()
    for method in ("public Prospect setLeadOwnerId(String leadOwnerId)",
                   "public Prospect setGender(Gender gender)",
                   "public Prospect setBirthDate(LocalDate birthDate)",
                   "public Prospect setModifiedDate(Instant modifiedDate)",
                   "public Prospect clearFields(String... "):
        assert method in prospect
    action = (JAVA / codegen_java.MODEL_DIR / "SaveAction.java").read_text()
    assert re.findall(r"^    ([A-Z_]+)\(", action, re.M) == [
        "INSERTED", "UPDATED", "UNCHANGED", "STALE", "VALIDATED", "FAILED", "UNKNOWN"]


def test_a_shape_the_generator_cannot_map_is_refused():
    wsdl = REPO_WSDL.read_text().replace('name="BirthDate" type="xs:date"',
                                         'name="BirthDate" type="xs:duration"')
    with pytest.raises(ValueError, match="xs:duration"):
        codegen_java.render(wsdl.encode())


@pytest.mark.parametrize("release", sorted((REPO / "wsdl" / "released").glob("*.wsdl")), ids=lambda p: p.stem)
def test_the_library_built_from_each_released_wsdl_is_the_one_tested(release):
    """A Connector that generates the Java library from an older release (say 1.0) gets the very
    model and operation table that the integration test (``tests/e2e/test_java_client.py``) runs
    against the current service: releases within v1 only add what the library does not use
    (typed faults, WS-Policy). Only the bundled copy of the WSDL differs."""
    current = codegen_java.render(REPO_WSDL.read_bytes())
    built = codegen_java.render(release.read_bytes())
    assert set(built) == set(current)
    differing = {path for path in built if built[path] != current[path]}
    assert all(path.suffix == ".wsdl" for path in differing), differing
