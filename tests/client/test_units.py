"""Turn-up sheet, settings, retry decisions, fault codes, capabilities, record parsing (no I/O)."""

from __future__ import annotations

import pytest
from lxml import etree
from partner_client import (
    Capabilities,
    ConfigurationError,
    ConnectionFailed,
    LeadSource,
    LeadSourceMode,
    Member,
    Prospect,
    Unavailable,
    ValidationError,
    parse_sheet,
)
from partner_client.faults import fault_code
from partner_client.records import ConnectorRecord, RecordProblem, parse_record
from partner_client.retry import RetryPolicy, repeat_is_safe

SHEET = """client_id = 7
club_ids = [11, 12]
url = "https://partner.example/soap"
scheme = "https"
username = "client7-ab12"
password = "s3cret-Value"
password_type = "text"

[options]
connect_timeout = 2
read_timeout = 30.5
ca_bundle = "/etc/ssl/partner-ca.pem"
operations = ["GetLeadSources", "SaveProspect"]
batch_size = 50
something_new = "kept"
"""


def test_the_turnup_sheet_becomes_connection_settings():
    sheet = parse_sheet(SHEET)
    assert (sheet.client_id, sheet.club_ids, sheet.batch_size) == (7, (11, 12), 50)
    settings = sheet.connection()
    assert settings.timeout == (2, 30.5)
    assert settings.tls_verify == "/etc/ssl/partner-ca.pem"
    assert settings.password_type == "text"
    assert settings.operations == ("GetLeadSources", "SaveProspect")
    assert sheet.options["something_new"] == "kept"
    assert "s3cret" not in repr(sheet) and "s3cret" not in repr(settings)


@pytest.mark.parametrize("change, complaint", [
    (("client_id = 7\n", ""), "client_id"),
    (('scheme = "https"', 'scheme = "http"'), "scheme"),
    (('password_type = "text"', 'password_type = "plain"'), "password_type"),
    (("https://partner.example/soap\"\nscheme = \"https", "http://partner.example/soap\"\nscheme = \"http"),
     "loopback"),
    (("club_ids = [11, 12]", "club_ids = []"), "club_ids"),
    (("connect_timeout = 2", 'connect_timeout = "2"'), "connect_timeout"),
    (("client_id = 7", "client_id = [7"), "TOML"),
])
def test_a_bad_sheet_says_what_is_wrong(change, complaint):
    with pytest.raises(ConfigurationError) as caught:
        parse_sheet(SHEET.replace(*change))
    assert complaint in str(caught.value)
    assert "s3cret" not in str(caught.value)


def test_http_is_fine_on_loopback():
    sheet = parse_sheet(SHEET.replace("https://partner.example", "http://127.0.0.1:8080")
                        .replace('scheme = "https"', 'scheme = "http"'))
    assert sheet.connection().url == "http://127.0.0.1:8080/soap"


def test_only_saves_that_name_their_record_are_safe_to_repeat():
    assert repeat_is_safe("GetStaffList", {"club_id": None})
    assert repeat_is_safe("SaveProspect", {"club_id": 1, "prospect": Prospect(external_id="c1")})
    assert repeat_is_safe("SaveMember", {"club_id": 1, "member": Member(id="9")})
    assert repeat_is_safe("SaveLeadSource", {"lead_source": LeadSource(lead_source_id="3", name="x")})
    assert not repeat_is_safe("SaveProspect", {"club_id": 1, "prospect": Prospect(first_name="x")})
    assert not repeat_is_safe("SaveProspects", {"club_id": 1, "prospects": [Prospect(id="1"), Prospect()]})
    named = [Prospect(id="1"), Prospect(external_id="2")]
    assert repeat_is_safe("SaveProspects", {"club_id": 1, "prospects": named})


class Flaky:
    def __init__(self, *errors):
        self.errors = list(errors)
        self.calls = 0

    def __call__(self):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "answer"


def test_the_policy_repeats_transient_failures_of_safe_calls_with_growing_waits():
    waits = []
    policy = RetryPolicy(attempts=4, backoff=1, backoff_max=3, sleep=waits.append)
    call = Flaky(ConnectionFailed("x"), Unavailable("Server.Unavailable", "down"), ConnectionFailed("x"))
    assert policy.run(call, safe=True, what="t") == "answer"
    assert call.calls == 4 and len(waits) == 3
    assert 0.5 <= waits[0] <= 1 and 1 <= waits[1] <= 2 and 1.5 <= waits[2] <= 3


@pytest.mark.parametrize("safe, error", [(False, ConnectionFailed("x")),
                                         (True, ValidationError("Client.Validation", "bad", "Email"))])
def test_the_policy_never_repeats_unsafe_calls_or_client_faults(safe, error):
    call = Flaky(error)
    with pytest.raises(type(error)):
        RetryPolicy(sleep=lambda s: None).run(call, safe=safe, what="t")
    assert call.calls == 1


@pytest.mark.parametrize("raw, code", [("soap11env:Client.Validation", "Client.Validation"),
                                       ("wsse:FailedAuthentication", "FailedAuthentication"),
                                       ("{http://docs.oasis-open.org/x}MessageExpired", "MessageExpired"),
                                       ("Server", "Server")])
def test_fault_codes_lose_their_prefix(raw, code):
    assert fault_code(raw) == code


def test_fault_detail_field_is_read():
    import zeep.exceptions
    from partner_client.faults import from_zeep_fault

    detail = etree.fromstring('<detail><tns:FaultDetail xmlns:tns="urn:connector-partner:v1">'
                              '<tns:Field>BirthDate</tns:Field></tns:FaultDetail></detail>')
    error = from_zeep_fault(zeep.exceptions.Fault("bad date", "soap11env:Client.Validation", detail=detail))
    assert isinstance(error, ValidationError) and error.field == "BirthDate"


@pytest.mark.parametrize("operations, mode, staff", [
    (["GetLeadSources", "SaveLeadSource", "GetStaffByEmail", "GetStaffList"], LeadSourceMode.LIST_AND_CREATE,
     "GetStaffList"),
    (["GetLeadSources", "GetStaffByEmail"], LeadSourceMode.LIST_ONLY, "GetStaffByEmail"),
    (["SaveLeadSource"], LeadSourceMode.CREATE_ONLY, None),
    (["SaveProspect"], LeadSourceMode.NONE, None),
])
def test_capabilities_pick_the_modes(operations, mode, staff):
    capabilities = Capabilities.of(operations)
    assert (capabilities.lead_source_mode, capabilities.staff_lookup) == (mode, staff)


def test_capabilities_refuse_names_outside_the_contract():
    with pytest.raises(ConfigurationError):
        Capabilities.of(["SaveProspect", "DeleteEverything"])


def test_records_parse_types_and_report_problems():
    record = parse_record(3, {"connector_id": " 42 ", "user_type": "Ex-Member", "gender": "female",
                              "birth_date": "1990-02-03", "modified_date": "2026-01-02T03:04:05",
                              "fields_to_null": "address2;Company"}, 11)
    assert isinstance(record, ConnectorRecord)
    assert (record.connector_id, record.user_type, record.club_id) == ("42", "ExMember", 11)
    assert str(record.values["birth_date"]) == "1990-02-03" and record.values["gender"].value == "Female"
    assert record.fields_to_null == ("Address2", "Company")
    for row, words, field in [
            ({"connector_id": "1", "colour": "red"}, "unknown columns: colour", "colour"),
            ({"connector_id": "1", "club_id": 1, "gender": "robot"},
             "Gender must be one of Male, Female, Other, Unspecified", "Gender"),
            ({"connector_id": "1", "club_id": 1, "status": "Gone"}, "Status must be one of Active, Inactive",
             "Status"),
            ({"connector_id": "1", "club_id": 1, "ModifiedDate": "yesterday"},
             "ModifiedDate must be a date and time", "ModifiedDate"),
            ({"connector_id": "1"}, "ClubId is required", "ClubId"),
            ({"connector_id": " ", "club_id": 1}, "ExternalId is required", "ExternalId"),
            ({"connector_id": "1", "user_type": "staff", "club_id": 1}, "UserType must be one of", "UserType")]:
        problem = parse_record(1, row, None)
        assert isinstance(problem, RecordProblem) and words in problem.message, row
        assert problem.field == field


def test_records_take_the_contracts_element_names_as_columns():
    record = parse_record(1, {"ExternalId": "9", "FirstName": "Ann", "BirthDate": "1990-02-03"}, 5)
    assert (record.connector_id, record.values["first_name"], str(record.values["birth_date"])) == (
        "9", "Ann", "1990-02-03")


def test_the_push_command_restores_the_interpreters_switch_interval():
    import sys

    from partner_client.cli import prompt_handover

    before = sys.getswitchinterval()
    with prompt_handover(0.0005):
        assert sys.getswitchinterval() == 0.0005
    assert sys.getswitchinterval() == before


def test_a_failures_file_line_is_read_as_its_record(tmp_path):
    from partner_client.records import read_records

    path = tmp_path / "people.jsonl.failures.jsonl"
    path.write_text('{"line": 4, "connector_id": "a", "code": "Connector.NotSent", "field": null, '
                    '"message": "not sent", "record": {"connector_id": "a", "FirstName": "Ann"}}\n'
                    '{"line": 5, "connector_id": null, "code": "Connector.Record", "field": null, '
                    '"message": "line 5 is not JSON", "record": null}\n')
    record, problem = read_records(path, 1)
    assert (record.line, record.connector_id, record.values) == (1, "a", {"first_name": "Ann"})
    assert problem.message == "line 2 is a failure without a record to send (line 5 is not JSON)"
