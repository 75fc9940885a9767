"""The generated typed layer is what the generator makes of wsdl/partner.wsdl, byte for byte."""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path

import partner_client
from partner_client import codegen
from partner_client.generated import service, types

REPO_WSDL = Path(__file__).parents[2] / "wsdl" / "partner.wsdl"
PACKAGE = Path(partner_client.__file__).parent


def test_regenerating_changes_no_committed_file():
    for relative, content in codegen.render(REPO_WSDL.read_bytes()).items():
        assert (PACKAGE / relative).read_bytes() == content, (
            f"{relative} is stale: run `python -m partner_client.codegen` and commit the result")


def test_check_mode_reports_a_stale_file(tmp_path, capsys):
    unspecified = b'<xs:enumeration value="Unspecified"/>'
    changed = REPO_WSDL.read_bytes().replace(unspecified, unspecified + b'<xs:enumeration value="X"/>')
    wsdl = tmp_path / "partner.wsdl"
    wsdl.write_bytes(changed)
    assert codegen.main(["--wsdl", str(wsdl), "--check"]) == 1
    assert "generated/types.py" in capsys.readouterr().out
    assert codegen.main(["--wsdl", str(REPO_WSDL), "--check"]) == 0


def test_one_method_per_operation_documented_from_the_wsdl():
    contract = codegen.Contract(REPO_WSDL.read_bytes())
    assert [o.name for o in contract.operations] == list(service.OPERATIONS)
    for operation in contract.operations:
        method = getattr(service.PartnerClient, codegen.snake(operation.name))
        assert inspect.getdoc(method).startswith(operation.documentation)
        assert operation.documentation


def test_types_carry_wire_names_lengths_and_enums():
    fields = {f.name: f for f in dataclasses.fields(types.Prospect)}
    assert fields["lead_owner_id"].metadata["wire"] == "LeadOwnerId"
    assert fields["first_name"].metadata["max_length"] == 80
    assert fields["gender"].metadata["type"] is types.Gender
    assert [a.value for a in types.Action] == ["Inserted", "Updated", "Unchanged", "Stale", "Validated",
                                               "Failed"]
    staff = {f.name: f for f in dataclasses.fields(types.Staff)}
    assert staff["club_ids"].metadata["item"] == "ClubId"
    assert staff["email"].default is dataclasses.MISSING  # minOccurs="1": required


def test_the_client_does_not_depend_on_the_service_package():
    for source in PACKAGE.rglob("*.py"):
        assert "partner_service" not in source.read_text(), source
