"""Hostile and broken requests over a real socket: each gets a SOAP fault with a clear message,
never an HTML page, a hang or the request echoed back, and nothing of it is stored."""

from __future__ import annotations

import threading
import time

from partner_service.domain.fields import DATE, DATETIME, ENUM, PROSPECT_FIELDS

from ..support import MARKER, SOAP11_ENV, envelope, hostile_requests, post, save_xml
from ..support.operations import people_count, stored_person


def _problems(reply, case) -> list[str]:
    """Everything wrong with one answer to a hostile request (an empty list when it is right)."""
    problems = []
    if reply.status != case.status:
        problems.append(f"HTTP {reply.status}, expected {case.status}")
    if not reply.content_type.startswith("text/xml") or not reply.is_soap_envelope:
        problems.append(f"not a SOAP 1.1 envelope ({reply.content_type}): {reply.body[:80]!r}")
    if reply.fault_code != case.code:
        problems.append(f"fault code {reply.fault_code}, expected {case.code}: {reply.fault_string}")
    message = reply.fault_string or ""
    if len(message) < 15 or "Internal error" in message or "Traceback" in message:
        problems.append(f"unclear fault string {message!r}")
    if case.field is not None and reply.text("Field") != case.field:
        problems.append(f"field {reply.text('Field')}, expected {case.field}")
    if MARKER.encode() in reply.body or MARKER.encode("utf-16-le") in reply.body:
        problems.append("the answer repeats the request")
    return problems


def test_every_hostile_request_gets_its_soap_fault_quickly_and_stores_nothing(live_url, world, uow_factory):
    failures = {}
    for case in hostile_requests(world.acme_club_ids[0]):
        started = time.monotonic()
        reply = post(live_url, case.body, case.content_type, timeout=10)
        problems = _problems(reply, case)
        if time.monotonic() - started > 5:
            problems.append("took more than 5 s")
        if problems:
            failures[case.name] = problems
    assert failures == {}
    assert people_count(uow_factory) == 0


def test_the_service_still_answers_after_the_hostile_requests(live_url, world):
    for case in hostile_requests(world.acme_club_ids[0])[:12]:
        post(live_url, case.body, case.content_type, timeout=10)
    reply = post(live_url, envelope(save_xml("SaveMember", world.acme_club_ids[0], "Member",
                                             {"FirstName": "Still", "LastName": "Here"})))
    assert (reply.status, reply.text("Action")) == (200, "Inserted")


def test_utf16_with_a_matching_charset_and_utf8_with_a_bom_are_read_correctly(live_url, world, uow_factory):
    club = world.acme_club_ids[0]
    fields = {"FirstName": "Zoë", "LastName": "Ærø-Łukasz", "City": "Zürich 東京"}
    utf16 = ('<?xml version="1.0" encoding="UTF-16"?>'
             + envelope(save_xml("SaveProspect", club, "Prospect", fields)).decode()).encode("utf-16")
    utf8_bom = b"\xef\xbb\xbf" + envelope(save_xml("SaveProspect", club, "Prospect", fields))
    for body, content_type in ((utf16, "text/xml; charset=utf-16"), (utf16, "text/xml"),
                               (utf8_bom, "text/xml; charset=UTF-8")):
        reply = post(live_url, body, content_type)
        assert (reply.status, reply.text("Action")) == (200, "Inserted"), reply.fault_string
        stored = stored_person(uow_factory, reply.text("Id"))
        assert (stored["first_name"], stored["last_name"], stored["city"]) == tuple(fields.values())


def test_a_refused_record_in_a_request_leaves_the_stored_person_as_it_was(live_url, world, uow_factory):
    club = world.acme_club_ids[0]
    saved = post(live_url, envelope(save_xml("SaveProspect", club, "Prospect",
                                             {"ExternalId": "X1", "FirstName": "Ann", "LastName": "Lee"})))
    before = stored_person(uow_factory, saved.text("Id"))
    refused = post(live_url, envelope(save_xml("SaveProspect", club, "Prospect", {
        "ExternalId": "X1", "FirstName": "Changed", "City": "ok", "BirthDate": "10000-01-01"})))
    assert (refused.fault_code, refused.text("Field")) == ("Client.Validation", "BirthDate")
    assert stored_person(uow_factory, saved.text("Id")) == before


def test_soap_12_gets_the_soap_11_version_mismatch_fault_code(live_url, world):
    """SOAP 1.1 section 4.4.1: the code is ``VersionMismatch`` in the SOAP 1.1 envelope namespace."""
    soap12 = [case for case in hostile_requests(world.acme_club_ids[0]) if "SOAP 1.2" in case.name]
    assert len(soap12) == 2
    for case in soap12:
        reply = post(live_url, case.body, case.content_type)
        assert reply.fault_qname == f"{{{SOAP11_ENV}}}VersionMismatch"


def _invalid_values(spec) -> list[str]:
    """Values the contract refuses for this field: too long, wrong kind, a control character."""
    if spec.kind == ENUM:
        return ["Nope", ""]
    if spec.kind == DATE:
        return ["2024-13-01", "01/02/2024"]
    if spec.kind == DATETIME:
        return ["yesterday", "2024-01-01 10:00"]
    return ["x" * (spec.max_length + 1), "a\x9fb"]


def test_every_field_refuses_a_bad_value_by_name_and_stores_nothing(live_url, world, uow_factory):
    club, wrong = world.acme_club_ids[0], {}
    for spec in PROSPECT_FIELDS:
        for value in _invalid_values(spec):
            fields = {"FirstName": "Ann", "LastName": "Lee", spec.wire: value}
            body = envelope(save_xml("SaveProspect", club, "Prospect", fields))
            reply = post(live_url, body)
            if (reply.fault_code, reply.text("Field")) != ("Client.Validation", spec.wire):
                wrong[f"{spec.wire}={value[:12]}"] = (reply.fault_code, reply.text("Field"), reply.fault_string)
    assert wrong == {}
    assert people_count(uow_factory) == 0


def test_bad_values_sent_at_once_by_many_clients_each_get_their_own_field(live_url, world):
    """The schema check runs in many threads at once: each answer names its own request's field
    (lxml's schema object keeps one error log, which concurrent checks would share)."""
    club, cases = world.acme_club_ids[0], []
    for spec in PROSPECT_FIELDS:
        for value in _invalid_values(spec)[:1]:
            fields = {"FirstName": "Ann", "LastName": "Lee", spec.wire: value}
            cases.append((spec.wire, envelope(save_xml("SaveProspect", club, "Prospect", fields))))
    wrong: list = []

    def client(offset: int) -> None:
        for n in range(3 * len(cases)):
            field, body = cases[(offset + n) % len(cases)]
            reply = post(live_url, body)
            if (reply.fault_code, reply.text("Field")) != ("Client.Validation", field):
                wrong.append((field, reply.fault_code, reply.text("Field"), reply.fault_string))

    clients = [threading.Thread(target=client, args=(offset,)) for offset in range(8)]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join()
    assert wrong == []
