"""Contract release 1.2: the binding's WS-SecurityPolicy ("HTTPS plus a UsernameToken"), an
additive change.

The policy must say what the service wants in the form WS-SecurityPolicy readers look for,
and be referenced from the binding. Additive means: take the policy out of the current WSDL
and what is left is, byte for byte in canonical XML, the latest release before 1.2
(``wsdl/released/``), so no element, type, operation, soapAction or namespace changed.
(The WSDL compatibility checker, ``partner-service wsdl compat``, judges every release in
general; this test pins what 1.2 itself may change.)
"""

from __future__ import annotations

import copy
from pathlib import Path

from lxml import etree
from partner_service.entrypoints.soap.application import Dependencies, build_application
from partner_service.entrypoints.soap.security_policy import POLICY_ID, SP, WSP
from partner_service.entrypoints.soap.wsdl import canonical_wsdl

WSDL_DIR = Path(__file__).resolve().parents[2] / "wsdl"
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
WSU_ID = "{http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd}Id"
NS = {"wsdl": WSDL_NS, "wsp": WSP, "sp": SP}
RELEASE = (1, 2)


def _version(path: Path) -> tuple[int, ...]:
    return tuple(int(n) for n in path.stem.split("."))


def latest_release_before_1_2() -> Path:
    released = [p for p in (WSDL_DIR / "released").glob("*.wsdl") if _version(p) < RELEASE]
    return max(released, key=_version)


def current() -> etree._Element:
    return etree.parse(str(WSDL_DIR / "partner.wsdl")).getroot()


def without_release_1_2(root: etree._Element) -> etree._Element:
    """The WSDL with 1.2's addition taken out: the policy, its references and namespaces."""
    root = copy.deepcopy(root)
    for element in root.findall("wsp:Policy", NS) + root.findall("wsdl:binding/wsp:PolicyReference", NS):
        element.getparent().remove(element)
    # the policy's namespace declarations go; the rest stay (tns is used in attribute values only)
    etree.cleanup_namespaces(root, keep_ns_prefixes=[p for p in root.nsmap if p not in ("wsp", "sp", "wsu")])
    return root


def canonical(root: etree._Element) -> bytes:
    return etree.tostring(root, method="c14n")


def test_release_1_2_only_adds_the_policy():
    base = etree.parse(str(latest_release_before_1_2())).getroot()
    assert canonical(without_release_1_2(current())) == canonical(base)


def test_taking_out_1_2_leaves_a_change_elsewhere_visible():
    """The comparison above fails on any other change (so it cannot pass vacuously)."""
    changed = current()
    changed.find("wsdl:binding/wsdl:operation", NS).set("name", "Renamed")
    base = etree.parse(str(latest_release_before_1_2())).getroot()
    assert canonical(without_release_1_2(changed)) != canonical(base)


def test_the_binding_refers_to_a_policy_of_https_plus_a_username_token():
    root = current()
    references = root.findall("wsdl:binding/wsp:PolicyReference", NS)
    assert [r.get("URI") for r in references] == [f"#{POLICY_ID}"]
    assert references[0].getparent().index(references[0]) == 0, "first child of the binding"
    policy = [p for p in root.findall("wsp:Policy", NS) if p.get(WSU_ID) == POLICY_ID]
    assert len(policy) == 1
    alternative = policy[0].find("wsp:ExactlyOne/wsp:All", NS)
    transport = "sp:TransportBinding/wsp:Policy/sp:TransportToken/wsp:Policy/sp:HttpsToken"
    assert alternative.find(transport, NS) is not None
    token = alternative.find("sp:SignedSupportingTokens/wsp:Policy/sp:UsernameToken", NS)
    assert token.get(f"{{{SP}}}IncludeToken") == f"{SP}/IncludeToken/AlwaysToRecipient"
    assert token.find("wsp:Policy/sp:WssUsernameToken10", NS) is not None
    assert token.find("wsp:Policy/sp:HashPassword", NS) is None, "WCF sends text passwords"


def test_a_partner_with_fewer_operations_publishes_the_policy_too():
    app = build_application(Dependencies(uow=None, authenticate=None), ["SaveProspect"])
    root = etree.fromstring(canonical_wsdl(app))
    assert [r.get("URI") for r in root.findall("wsdl:binding/wsp:PolicyReference", NS)] == [f"#{POLICY_ID}"]
    assert len(root.findall("wsp:Policy", NS)) == 1
