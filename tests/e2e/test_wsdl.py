"""The published contract: the served WSDL is the committed file, byte for byte, on every
start and from every process; xmllint accepts it; its schema validates real requests."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from lxml import etree
from partner_service.app import create_app
from partner_service.config import Settings

from ..support import serve_in_thread

COMMITTED = Path(__file__).resolve().parents[2] / "wsdl" / "partner.wsdl"
PUBLIC_URL = "http://localhost:8080/soap"
CLI = [sys.executable, "-c", "from partner_service.entrypoints.cli import main; main()", "wsdl"]
TNS = "urn:connector-partner:v1"
XSD = "http://www.w3.org/2001/XMLSchema"
WSDL = "http://schemas.xmlsoap.org/wsdl/"


def served_wsdl(tmp_path: Path, name: str) -> bytes:
    settings = Settings(data_dir=tmp_path / name, public_url=PUBLIC_URL)
    app = create_app(settings)
    try:
        with serve_in_thread(app) as url, urllib.request.urlopen(f"{url}/soap?wsdl", timeout=10) as response:
            assert response.headers["Content-Type"].startswith("text/xml")
            return response.read()
    finally:
        app.engine.dispose()


def test_the_served_wsdl_is_the_committed_file_on_every_start(tmp_path):
    first = served_wsdl(tmp_path, "first")
    assert first == COMMITTED.read_bytes(), "wsdl/partner.wsdl is stale: run `partner-service wsdl`"
    assert served_wsdl(tmp_path, "second") == first


def test_the_wsdl_command_prints_the_same_bytes_in_every_process():
    outputs = []
    for seed in ("1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        outputs.append(subprocess.run(CLI, env=env, capture_output=True, check=True, timeout=60).stdout)
    assert outputs[0] == outputs[1] == COMMITTED.read_bytes()


def test_xmllint_accepts_the_wsdl():
    result = subprocess.run(["xmllint", "--noout", str(COMMITTED)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr


def test_the_wsdl_is_explicit_for_other_stacks():
    root = etree.parse(str(COMMITTED)).getroot()
    order = [etree.QName(c).localname for c in root if etree.QName(c).localname in ("portType", "binding",
                                                                                     "service")]
    assert order == ["portType", "binding", "service"]
    inner = [e for e in root.iter(f"{{{XSD}}}element") if e.getparent().tag != f"{{{XSD}}}schema"]
    assert inner and all(e.get("minOccurs") in ("0", "1") and e.get("nillable") == "false" for e in inner)
    assert b'nillable="true"' not in COMMITTED.read_bytes()


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    root = etree.parse(str(COMMITTED)).getroot()
    embedded = root.find(f"{{{WSDL}}}types/{{{XSD}}}schema")
    # As its own document: serialising carries the WSDL's namespace declarations along,
    # which the schema's QName attribute values (type="tns:...") need.
    return etree.XMLSchema(etree.fromstring(etree.tostring(embedded)))


def request_body(prospect: str, club: str = "<ClubId>7</ClubId>") -> etree._Element:
    return etree.fromstring(f'<SaveProspect xmlns="{TNS}">{club}<Prospect>{prospect}</Prospect>'
                            f"<Test>true</Test></SaveProspect>")


GOOD = ("<ExternalId>IT-1</ExternalId><FieldsToNull><FieldName>Address2</FieldName></FieldsToNull>"
        "<FirstName>Pete</FirstName><LastName>Prospect</LastName><Status>Active</Status>"
        "<BirthDate>1990-05-01</BirthDate><Gender>Male</Gender><ModifiedDate>2026-01-01T10:00:00Z</ModifiedDate>"
        "<LeadOwnerId>3</LeadOwnerId><TrialStartDate>2026-02-01</TrialStartDate>")


def test_the_embedded_schema_validates_a_sample_save_prospect(schema):
    assert schema.validate(request_body(GOOD)), schema.error_log


@pytest.mark.parametrize(("prospect", "club"), [
    (GOOD.replace("Male", "Robot"), "<ClubId>7</ClubId>"),
    (GOOD.replace("Pete", "P" * 81), "<ClubId>7</ClubId>"),
    (GOOD.replace("1990-05-01", "01/05/1990"), "<ClubId>7</ClubId>"),
    ("<LastName>Prospect</LastName><FirstName>Pete</FirstName>", "<ClubId>7</ClubId>"),
    ("<Nickname>Pete</Nickname>", "<ClubId>7</ClubId>"),
    (GOOD, ""),
    (GOOD, "<ClubId>seven</ClubId>"),
])
def test_the_embedded_schema_rejects_a_bad_save_prospect(schema, prospect, club):
    assert not schema.validate(request_body(prospect, club))
