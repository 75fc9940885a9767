"""One conversation with the service that every SOAP stack under test holds.

The steps are plain data (operation name and arguments), so the node and PHP drivers
are dumb loops and the expectations live here, once, in Python. An argument written
``"$Label.Path.To.Value"`` is taken from the response of the earlier step ``Label``;
that is how a later save sends the Id an earlier one returned, as the Connector does.

A driver answers ``{label: {"response": {...}} | {"fault": {"code", "message"}}
| {"error": "..."}}``, where a response holds the children of the operation's response
wrapper (``{"SaveResult": {...}}``), as node-soap and PHP's SoapClient give them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

# What each operation's response wrapper holds, and whether it repeats.
OUTPUTS = {
    "SaveProspect": ("SaveResult", False), "SaveMember": ("SaveResult", False),
    "SaveExMember": ("SaveResult", False), "SaveLeadSource": ("SaveResult", False),
    "SaveProspects": ("SaveResult", True), "SaveMembers": ("SaveResult", True),
    "SaveExMembers": ("SaveResult", True), "GetStaffList": ("Staff", True),
    "GetStaffByEmail": ("Staff", False), "GetLeadSources": ("LeadSource", True),
}
EVERY_OPERATION = frozenset(OUTPUTS)

# Non-ASCII and XML-special characters, so each stack's escaping and encoding is exercised.
FIRST_NAME = "Zoë"
LAST_NAME = "O'Brien & <Sons>"


@dataclass(frozen=True)
class Setting:
    """What the scenario needs to know about the tenant it runs as."""

    tag: str
    club_id: int
    other_club_id: int
    staff_id: str
    staff_email: str


def steps(s: Setting) -> list[dict]:
    def step(label, operation, **args):
        return {"label": label, "operation": operation, "args": args}

    prospect = {
        "ExternalId": f"p-{s.tag}", "FirstName": FIRST_NAME, "LastName": LAST_NAME,
        "Status": "Active", "BirthDate": "1990-05-17", "Gender": "Female",
        "Email": f"zoe.{s.tag}@example.com", "CreatedDate": "2026-01-02T03:04:05Z",
        "CreatedBy": "INTOUCH", "LeadOwnerId": "$GetStaffByEmail.Staff.StaffId",
        "LeadSourceId": "$SaveLeadSource.SaveResult.Id",
        "TrialStartDate": "2026-02-01", "TrialEndDate": "2026-02-14",
    }
    return [
        step("SaveLeadSource", "SaveLeadSource",
             LeadSource={"Name": f"Walk-in {s.tag}", "ExternalId": f"ls-{s.tag}"}),
        step("SaveLeadSourceAgain", "SaveLeadSource", LeadSource={"Name": f"  WALK-IN {s.tag} "}),
        step("GetLeadSources", "GetLeadSources"),
        step("GetStaffList", "GetStaffList", ClubId=s.club_id),
        step("GetStaffListAll", "GetStaffList"),
        step("GetStaffByEmail", "GetStaffByEmail", Email=s.staff_email.upper()),
        step("GetStaffByEmailUnknown", "GetStaffByEmail", Email=f"nobody.{s.tag}@example.com"),
        step("SaveProspect", "SaveProspect", ClubId=s.club_id, Prospect=prospect),
        step("SaveProspectTest", "SaveProspect", ClubId=s.club_id, Test=True,
             Prospect={"ExternalId": f"t-{s.tag}", "FirstName": "Tess", "LastName": "Only"}),
        step("SaveMember", "SaveMember", ClubId=s.club_id,
             Member={"Id": "$SaveProspect.SaveResult.Id", "ModifiedDate": "2026-03-01T10:00:00Z"}),
        step("SaveExMember", "SaveExMember", ClubId=s.club_id,
             ExMember={"Id": "$SaveProspect.SaveResult.Id", "Status": "Inactive",
                       "ModifiedDate": "2026-04-01T10:00:00Z", "FieldsToNull": {"FieldName": ["Email"]}}),
        step("SaveProspects", "SaveProspects", ClubId=s.club_id, AllOrNone=False, Prospects={"Prospect": [
            {"ExternalId": f"b1-{s.tag}", "FirstName": "Bea", "LastName": "One",
             "LeadSourceId": "$SaveLeadSource.SaveResult.Id"},
            {"ExternalId": f"b2-{s.tag}", "FirstName": "Bo", "LastName": "Two"}]}),
        step("SaveMembers", "SaveMembers", ClubId=s.club_id, Members={"Member": [
            {"ExternalId": f"m1-{s.tag}", "FirstName": "Max", "LastName": "Member"},
            {"ExternalId": f"m2-{s.tag}", "FirstName": "Nameless"}]}),
        step("SaveExMembers", "SaveExMembers", ClubId=s.other_club_id, AllOrNone=True,
             ExMembers={"Member": [{"ExternalId": f"x1-{s.tag}", "FirstName": "Xena", "LastName": "Former"}]}),
    ]


def refused_steps() -> list[dict]:
    """A call with credentials the service must refuse."""
    return [{"label": "GetLeadSources", "operation": "GetLeadSources", "args": {}}]


# --- reading the answers -------------------------------------------------------------


def fault_code(outcome: dict) -> str:
    """The fault code's local part (``soap:Client.NotFound`` -> ``Client.NotFound``)."""
    assert "fault" in outcome, f"expected a fault, got {outcome}"
    return outcome["fault"]["code"].rsplit(":", 1)[-1].rsplit("}", 1)[-1]


def _as_list(value) -> list:
    if value is None or value == {} or value == "":
        return []
    return value if isinstance(value, list) else [value]


def answer(results: dict, label: str, operation: str):
    """The response value of one step; a list for repeating outputs."""
    outcome = results[label]
    assert "response" in outcome, f"{label}: {outcome}"
    key, repeats = OUTPUTS[operation]
    value = (outcome["response"] or {}).get(key)
    return _as_list(value) if repeats else value


def _club_ids(staff: dict) -> list[int]:
    return sorted(int(c) for c in _as_list((staff.get("ClubIds") or {}).get("ClubId")))


def _is_true(value) -> bool:
    return value is True or str(value).lower() in ("true", "1")


def check_answers(results: dict, s: Setting, all_club_ids: list[int]) -> None:
    """What every stack must have seen, step by step."""
    assert {step["operation"] for step in steps(s)} == EVERY_OPERATION
    source = answer(results, "SaveLeadSource", "SaveLeadSource")
    assert source["Action"] == "Inserted" and str(source["Id"]).isdigit()
    again = answer(results, "SaveLeadSourceAgain", "SaveLeadSource")
    assert (again["Action"], str(again["Id"])) == ("Unchanged", str(source["Id"]))
    sources = answer(results, "GetLeadSources", "GetLeadSources")
    assert [(str(x["LeadSourceId"]), x["Name"], x.get("ExternalId")) for x in sources] == [
        (str(source["Id"]), f"Walk-in {s.tag}", f"ls-{s.tag}")]

    for label in ("GetStaffList", "GetStaffListAll"):
        staff = answer(results, label, "GetStaffList")
        assert [(str(x["StaffId"]), x["Email"]) for x in staff] == [(s.staff_id, s.staff_email)], label
        assert _is_true(staff[0]["Active"]) and _club_ids(staff[0]) == all_club_ids
    found = answer(results, "GetStaffByEmail", "GetStaffByEmail")
    assert (str(found["StaffId"]), found["FirstName"], found["LastName"]) == (s.staff_id, "John", "Staff")
    assert fault_code(results["GetStaffByEmailUnknown"]) == "Client.NotFound"

    prospect = answer(results, "SaveProspect", "SaveProspect")
    assert (prospect["Action"], prospect.get("UserType")) == ("Inserted", "Prospect")
    trial = answer(results, "SaveProspectTest", "SaveProspect")
    assert trial["Action"] == "Validated"
    for label, user_type in (("SaveMember", "Member"), ("SaveExMember", "ExMember")):
        converted = answer(results, label, label)
        assert (converted["Action"], converted["UserType"], str(converted["Id"])) == (
            "Updated", user_type, str(prospect["Id"])), label

    batch = answer(results, "SaveProspects", "SaveProspects")
    assert [(r["Action"], r["UserType"]) for r in batch] == [("Inserted", "Prospect")] * 2
    members = answer(results, "SaveMembers", "SaveMembers")
    assert [r["Action"] for r in members] == ["Inserted", "Failed"]
    assert (members[1]["Error"]["Code"], members[1]["Error"]["Field"]) == ("Client.Validation", "LastName")
    ex_members = answer(results, "SaveExMembers", "SaveExMembers")
    assert [(r["Action"], r["UserType"]) for r in ex_members] == [("Inserted", "ExMember")]


def check_stored(uow, client_id: int, s: Setting, results: dict) -> None:
    """What the service stored is exactly what was sent: each stack serialised it right."""
    source_id = int(answer(results, "SaveLeadSource", "SaveLeadSource")["Id"])
    with uow:
        person = uow.people.by_external_id(client_id, f"p-{s.tag}")
        assert (person.first_name, person.last_name) == (FIRST_NAME, LAST_NAME)
        assert (person.birth_date, person.gender, person.status) == (date(1990, 5, 17), "Female", "Inactive")
        assert (person.trial_start_date, person.trial_end_date) == (date(2026, 2, 1), date(2026, 2, 14))
        assert person.created_date == datetime(2026, 1, 2, 3, 4, 5)
        assert person.modified_date == datetime(2026, 4, 1, 10, 0)
        assert (str(person.lead_owner_id), person.lead_source_id) == (s.staff_id, source_id)
        assert person.email is None, "FieldsToNull cleared Email"
        assert [str(c.to_type) for c in person.type_history] == ["Prospect", "Member", "ExMember"]
        assert uow.people.by_external_id(client_id, f"t-{s.tag}") is None, "Test=true wrote nothing"
        assert uow.people.by_external_id(client_id, f"m2-{s.tag}") is None
        former = uow.people.by_external_id(client_id, f"x1-{s.tag}")
        assert (former.club_id, str(former.user_type)) == (s.other_club_id, "ExMember")
