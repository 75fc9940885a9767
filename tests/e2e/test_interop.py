"""Other SOAP stacks call every operation of the running service with a WS-Security
UsernameToken, built from nothing but the published WSDL (issue 7).

The service runs with its real WS-Security (passwords checked, digests, nonces and
Created verified); the credential is made as an operator makes it, with
``partner-service credential add``. Each stack runs the same scenario
(tests/interop/scenario.py); the answers it parsed and what the service stored must be
exactly what was sent.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from lxml import etree
from partner_service.app import create_app
from partner_service.config import Settings
from partner_service.entrypoints.soap.security_policy import SP

from ..interop import envelopes
from ..interop.drivers import (
    DOTNET_DRIVER,
    JAVA_DRIVER,
    STACKS,
    WSDL,
    java_build,
    jaxws_logged,
    mono_policy_import,
    svcutil_proxy,
    svcutil_proxy_of,
)
from ..interop.scenario import Setting, check_answers, check_stored, fault_code, refused_steps, steps
from ..support import serve_in_thread

STAFF_EMAIL = "jstaff@club.com"
USERNAME = "acme-connector"
# for what a test shows of a client generator or of a stack's reading of the WSDL, not of storage
on_sqlite = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def add_credential(database_url: str, data_dir: Path, client_id: int) -> str:
    """``partner-service credential add``, as the operator runs it; returns the password it shows once."""
    command = Path(sys.executable).with_name("partner-service")
    env = dict(os.environ, PARTNER_DATABASE_URL=database_url, PARTNER_DATA_DIR=str(data_dir))
    done = subprocess.run([str(command), "credential", "add", "--client", str(client_id),
                           "--username", USERNAME], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = dict(line.split(" = ", 1) for line in done.stdout.splitlines() if " = " in line)
    assert lines["username"] == USERNAME
    return lines["password"]


@pytest.fixture
def service(engine, database_url, world, tmp_path):
    """The WSDL URL and a real credential of tenant ``acme``, on the app with real WS-Security."""
    password = add_credential(database_url, tmp_path, world.acme.client_id)
    app = create_app(Settings(data_dir=tmp_path), engine=engine)
    with serve_in_thread(app) as url:
        yield {"wsdl": f"{url}/soap?wsdl", "username": USERNAME, "password": password}


@pytest.mark.parametrize("stack", sorted(STACKS))
def test_every_operation_round_trips_and_a_wrong_password_is_refused(stack, service, world, uow_factory):
    setting = Setting(tag=stack, club_id=world.acme_club_ids[0], other_club_id=world.acme_club_ids[1],
                      staff_id=world.staff_id, staff_email=STAFF_EMAIL)
    results = STACKS[stack](steps=steps(setting), **service)
    check_answers(results, setting, sorted(world.acme_club_ids))
    check_stored(uow_factory(), world.acme.client_id, setting, results)

    refused = STACKS[stack](steps=refused_steps(), **dict(service, password=service["password"] + "x"))
    assert fault_code(refused["GetLeadSources"]) == "FailedAuthentication"


@pytest.mark.parametrize("shape", sorted(envelopes.SHAPES))
def test_headers_as_wcf_and_wss4j_write_them_are_accepted(shape, service, world):
    envelope = envelopes.SHAPES[shape](service["username"], service["password"], STAFF_EMAIL)
    request = urllib.request.Request(
        service["wsdl"].removesuffix("?wsdl"), data=envelope.encode(), method="POST",
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"GetStaffByEmail"'})
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = etree.fromstring(response.read())
    staff_id = answer.findtext(f".//{{{envelopes.TNS}}}Staff/{{{envelopes.TNS}}}StaffId")
    assert staff_id == world.staff_id


def test_wsimport_maps_optional_elements_to_plain_java_types():
    """The contract promises Java users String/Integer/Boolean fields, never JAXBElement
    (which wsimport makes of an optional element that is also nillable)."""
    sources = java_build().sources
    wrapped = [path.name for path in sources.glob("*.java")
               if path.name != "ObjectFactory.java" and "JAXBElement" in path.read_text()]
    assert wrapped == []
    prospect = (sources / "Prospect.java").read_text()
    for declaration in ("protected String email;", "protected String leadOwnerId;",
                        "protected XMLGregorianCalendar birthDate;", "protected Gender gender;"):
        assert declaration in prospect
    assert "protected Integer clubId;" in (sources / "GetStaffList.java").read_text()
    assert "protected Boolean test;" in (sources / "SaveProspect.java").read_text()


def test_the_documented_jaxws_handler_is_the_one_tested():
    """docs/interop.md gives Java users the UsernameTokenHandler these tests run, word for word."""
    def handler_class(text: str) -> str:
        start = text.index("final class UsernameTokenHandler")
        return text[start:text.index("\n}\n", start) + 2]

    docs = (Path(__file__).parents[2] / "docs" / "interop.md").read_text()
    assert handler_class(docs) == handler_class((JAVA_DRIVER / "UsernameTokenHandler.java").read_text())


def _declaration(text: str, start: str) -> str:
    """One top-level C# declaration, from its first line to its closing brace."""
    begin = text.index(start)
    return text[begin:text.index("\n}\n", begin) + 2]


@pytest.mark.parametrize(("source", "start"), [
    ("UsernameToken.cs", "public static class UsernameToken"),
    ("AsmxCheck.cs", "public class SecuredPartnerService"),
    ("WcfCheck.cs", "public class SecurityHeader"),
    ("WcfCheck.cs", "public class UsernameTokenBehavior"),
    ("WcfCheck.cs", '[DataContract(Name = "FaultDetail"'),
])
def test_the_documented_dotnet_code_is_the_code_tested(source, start):
    """docs/interop.md gives .NET users the header code these tests run, word for word."""
    docs = (Path(__file__).parents[2] / "docs" / "interop.md").read_text()
    assert _declaration(docs, start) == _declaration((DOTNET_DRIVER / source).read_text(), start)


@pytest.mark.parametrize("stack", ["jaxws-ri-digest", "asmx-digest", "wcf-digest"])
def test_a_generated_client_reads_a_validation_fault_and_its_field(stack, service, world, uow_factory):
    """A JAX-WS client gets a bad field as a SOAPFaultException, an ASMX client as a SoapException,
    a WCF client as a FaultException, whose detail names the field (for JAX-WS, as the declared
    PartnerFault of contract 1.1)."""
    external_id = f"p-{stack}-fault"
    step = {"label": "SaveProspect", "operation": "SaveProspect", "args": {
        "ClubId": world.acme_club_ids[0],
        "Prospect": {"ExternalId": external_id, "FirstName": "No", "LastName": "Owner",
                     "LeadOwnerId": "987654321"}}}
    results = STACKS[stack](steps=[step], **service)
    assert fault_code(results["SaveProspect"]) == "Client.Validation"
    assert results["SaveProspect"]["fault"]["field"] == "LeadOwnerId"
    if stack.startswith("jaxws"):
        assert results["SaveProspect"]["fault"]["typed"] == "PartnerFault"  # the declared wsdl:fault (1.1)
    with uow_factory() as uow:
        assert uow.people.by_external_id(world.acme.client_id, external_id) is None


def parts_named_parameters(wsdl: str) -> str:
    """The WSDL with every message part named ``parameters``: what .NET's generators key
    unwrapping on, and what Mono's importer needs to import a contract at all. It does not change
    the wire, but it changes every .NET proxy generated from it (CHANGELOG 1.2), so the published
    contract keeps its part names; these tests try the renamed copy to show what it would give."""
    return re.sub(r'<wsdl:part name="\w+"', '<wsdl:part name="parameters"', wsdl)


@on_sqlite
def test_mono_svcutil_makes_no_contract_of_the_served_wsdl(service, tmp_path):
    """What docs/interop.md says of Mono's svcutil (0.1): from the served ``?wsdl`` it writes a
    file without a contract, because its importer takes only message parts named
    ``parameters`` (this WSDL's bear their element's name; .NET's own svcutil imports them as
    message contracts instead of unwrapping them). The WCF client of the scenario is therefore
    not svcutil's (``WcfCheck.cs``)."""
    generated = svcutil_proxy(service["wsdl"], tmp_path).read_text()
    assert "interface" not in generated and "PartnerService" not in generated
    refusal = ("error Failed to import contract for port type `PartnerServicePortType': "
               "Only 'parameters' element in message part is supported")
    assert refusal in mono_policy_import(WSDL, tmp_path)


@on_sqlite
def test_mono_svcutil_on_parameters_parts_makes_a_proxy_that_loses_answers_and_data(service, tmp_path):
    """Why renaming the parts would not give a usable svcutil client on Mono either (docs/interop.md,
    "What ran on Mono"): on the served WSDL with its parts named ``parameters`` svcutil imports the
    contract, but declares each repeated answer as one item (a list of lead sources, staff or batch
    results reads as its first), and maps an optional enumeration (``Status``, ``Gender``) to a
    member that is always sent, so a save that leaves it out would overwrite the stored value with
    the enumeration's first value."""
    with urllib.request.urlopen(service["wsdl"], timeout=30) as response:
        renamed = parts_named_parameters(response.read().decode())
    generated = svcutil_proxy_of(renamed, tmp_path).read_text()

    assert "public interface PartnerServicePortType {" in generated
    for one_item in ("LeadSource GetLeadSources();", "Staff GetStaffList(int ClubId);",
                     "SaveResult SaveProspects(int ClubId, connectorpartner.v1.ProspectBatch Prospects,"):
        assert f"    connectorpartner.v1.{one_item}" in generated, one_item
    prospect = generated[generated.index("public partial class Prospect "):]
    for member in ("Status", "Gender"):
        attribute = re.search(rf"\[System\.Runtime\.Serialization\.DataMemberAttribute\(([^)]*)\)\]\s+"
                              rf"public connectorpartner\.v1\.{member} {member} \{{", prospect)
        assert attribute, member
        assert "EmitDefaultValue=false" not in attribute.group(1) and f"{member}Specified" not in prospect


@on_sqlite
def test_the_security_policy_is_read_and_ignored_by_mono_wcf_and_the_jaxws_ri(service, tmp_path):
    """Which stacks here honour the binding's WS-SecurityPolicy: neither. Mono's WsdlImporter (what
    its svcutil runs) gives the HTTPS binding no message security (on a copy of the WSDL it can
    import: parts named ``parameters``), and the JAX-WS RI without WSIT reads every security
    assertion as unknown; both go on, so the UsernameToken stays the caller's code (a message
    inspector, a SOAPHandler), as docs/interop.md says."""
    # an HTTPS address, and the parts named as Mono's importer needs to get as far as the binding
    https = tmp_path / "partner.wsdl"
    https.write_text(parts_named_parameters(WSDL.read_text())
                     .replace('location="http://localhost:8080/soap"', 'location="https://partner.example.com/soap"'))
    assert 'location="https://partner.example.com/soap"' in https.read_text()
    imported = mono_policy_import(https, tmp_path)
    assert imported[:2] == ["BasicHttpBinding None UserName", "contracts 1 operations 10"], imported

    step = {"label": "GetLeadSources", "operation": "GetLeadSources", "args": {}}
    results, log = jaxws_logged(steps=[step], password_type="digest", **service)
    assert "response" in results["GetLeadSources"]
    for assertion in ("TransportBinding", "SignedSupportingTokens"):
        assert f'WSP0075: Policy assertion "{{{SP}}}{assertion}" was evaluated as "UNKNOWN"' in log
