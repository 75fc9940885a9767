"""Typed faults (contract release 1.1): every operation declares ``wsdl:fault PartnerFault``
with the part ``tns:FaultDetail``, and every fault document the service sends, from spyne,
from the single saves' own path or from the WSGI front, carries a detail valid against it."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest
import zeep
from lxml import etree
from partner_service.service_layer import staff

COMMITTED = Path(__file__).resolve().parents[2] / "wsdl" / "partner.wsdl"
TNS = "urn:connector-partner:v1"
XSD = "http://www.w3.org/2001/XMLSchema"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"


@pytest.fixture(scope="module")
def fault_detail_schema() -> etree.XMLSchema:
    """The WSDL's schema, validating a document whose root is ``tns:FaultDetail``."""
    root = etree.parse(str(COMMITTED)).getroot()
    return etree.XMLSchema(etree.fromstring(etree.tostring(root.find(f"{{{WSDL}}}types/{{{XSD}}}schema"))))


def envelope(body: str, username: str = "acme") -> bytes:
    return (f'<soap:Envelope xmlns:soap="{SOAP}" xmlns:tns="{TNS}"><soap:Header>'
            f'<wsse:Security xmlns:wsse="{WSSE}">'
            f"<wsse:UsernameToken><wsse:Username>{username}</wsse:Username></wsse:UsernameToken></wsse:Security>"
            f"</soap:Header><soap:Body>{body}</soap:Body></soap:Envelope>").encode()


def post(url: str, data: bytes, method: str = "POST") -> tuple[int, etree._Element]:
    request = urllib.request.Request(f"{url}/soap", data=data if method == "POST" else None, method=method,
                                     headers={"Content-Type": "text/xml; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, etree.fromstring(response.read())
    except urllib.error.HTTPError as error:
        return error.code, etree.fromstring(error.read())


def prospect(club: int, record: str) -> str:
    return (f"<tns:SaveProspect><tns:ClubId>{club}</tns:ClubId><tns:Prospect>{record}</tns:Prospect>"
            "</tns:SaveProspect>")


CASES = {
    # (request maker, expected code, expected field)
    "domain validation on the single saves' path": (
        lambda club: envelope(prospect(club, "<tns:FirstName>A</tns:FirstName><tns:LastName>B</tns:LastName>"
                                             "<tns:LeadOwnerId>987654</tns:LeadOwnerId>")),
        "Client.Validation", "LeadOwnerId"),
    "schema validation answered by spyne": (
        lambda club: envelope(prospect(club, f"<tns:FirstName>{'x' * 81}</tns:FirstName>")),
        "Client.Validation", "FirstName"),
    "not found": (lambda club: envelope("<tns:GetStaffByEmail><tns:Email>nobody@example.com</tns:Email>"
                                        "</tns:GetStaffByEmail>"), "Client.NotFound", None),
    "forbidden club": (lambda club: envelope(prospect(424242, "<tns:FirstName>A</tns:FirstName>"
                                                              "<tns:LastName>B</tns:LastName>")),
                       "Client.Forbidden", None),
    "failed authentication": (lambda club: envelope("<tns:GetLeadSources/>", username="nobody"),
                              "wsse:FailedAuthentication", None),
    "failed authentication on the single saves' path": (
        lambda club: envelope(prospect(club, "<tns:FirstName>A</tns:FirstName>"), username="nobody"),
        "wsse:FailedAuthentication", None),
    "not XML": (lambda club: b"<soap:Envelope", "Client.XMLSyntaxError", None),
}


def fault_parts(document: etree._Element) -> tuple[str, etree._Element | None]:
    fault = document.find(f"{{{SOAP}}}Body/{{{SOAP}}}Fault")
    assert fault is not None, etree.tostring(document)
    details = fault.findall("detail")
    assert len(details) == 1, "every fault carries one detail"
    children = [c for c in details[0] if isinstance(c.tag, str)]
    assert len(children) == 1, "the detail holds one FaultDetail"
    return fault.findtext("faultcode"), children[0]


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_fault_carries_the_declared_fault_detail(case, live_url, club, fault_detail_schema):
    make, code, field = CASES[case]
    status, document = post(live_url, make(club))
    assert status == 500
    faultcode, detail = fault_parts(document)
    assert faultcode.split(":", 1)[-1] == code.split(":", 1)[-1]
    assert fault_detail_schema.validate(etree.ElementTree(detail)), fault_detail_schema.error_log
    assert detail.findtext(f"{{{TNS}}}Code") == code
    assert detail.findtext(f"{{{TNS}}}Field") == field
    assert detail.findtext(f"{{{TNS}}}CorrelationId") is None


def test_a_fault_of_the_wsgi_front_carries_it_too(live_url, fault_detail_schema):
    status, document = post(live_url, b"", method="PUT")
    assert status == 405
    _code, detail = fault_parts(document)
    assert fault_detail_schema.validate(etree.ElementTree(detail)), fault_detail_schema.error_log
    assert detail.findtext(f"{{{TNS}}}Code") == "Client"


def test_a_server_fault_carries_its_correlation_id_in_the_declared_detail(live_url, monkeypatch,
                                                                        fault_detail_schema):
    monkeypatch.setattr(staff, "list_staff", lambda *a, **k: 1 / 0)
    _status, document = post(live_url, envelope("<tns:GetStaffList/>"))
    _code, detail = fault_parts(document)
    assert fault_detail_schema.validate(etree.ElementTree(detail)), fault_detail_schema.error_log
    assert detail.findtext(f"{{{TNS}}}Code") == "Server"
    assert len(detail.findtext(f"{{{TNS}}}CorrelationId")) == 16


def test_every_operation_declares_the_fault_in_the_published_wsdl():
    root = etree.parse(str(COMMITTED)).getroot()
    for part in ("portType", "binding"):
        operations = root.findall(f"{{{WSDL}}}{part}/{{{WSDL}}}operation")
        assert len(operations) == 10
        for operation in operations:
            assert [f.get("name") for f in operation.findall(f"{{{WSDL}}}fault")] == ["PartnerFault"]
    client = zeep.Client(str(COMMITTED))
    detail = client.get_element(f"{{{TNS}}}FaultDetail")
    parsed = detail.parse(etree.fromstring(f'<FaultDetail xmlns="{TNS}"><Code>Client.Validation</Code>'
                                           "<Field>LastName</Field></FaultDetail>"), client.wsdl.types)
    assert (parsed.Code, parsed.Field, parsed.CorrelationId) == ("Client.Validation", "LastName", None)
