"""Property tests: generated people round-trip through zeep, the service, the database and
back unchanged; generated malformed envelopes always get a SOAP answer, never a crash."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from partner_service.domain.fields import DATE, DATETIME, ENUM, PERSON_FIELDS, PROSPECT_FIELDS, TEXT

from ..support import MARKER, envelope, post, save_xml
from ..support.operations import stored_person

# Function-scoped fixtures (server, database) are shared by the examples on purpose: each
# example inserts a new person, so nothing carries over that could change the outcome.
EXAMPLES = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Any character XML 1.0 carries and the service accepts: no controls but tab and line ends,
# no surrogates or unassigned code points.
_CHARACTERS = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Cn"),
                            include_characters="\t\n\r")
# In the past: a ModifiedDate ahead of the server's clock is refused (issue 19).
_INSTANTS = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2025, 12, 31),
                         timezones=st.just(UTC))


def _value(spec):
    if spec.kind == TEXT:
        text = st.text(_CHARACTERS, min_size=1, max_size=spec.max_length)
        return text.filter(str.strip) if spec.required_on_insert else text
    if spec.kind == ENUM:
        return st.sampled_from([choice.value for choice in spec.choices])
    if spec.kind == DATE:
        return st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31))
    if spec.kind == DATETIME:
        return _INSTANTS
    raise AssertionError(f"no strategy for {spec.wire}")


def _person(specs, **fixed) -> st.SearchStrategy[dict]:
    """Required names plus any subset of the other fields, with values of their kind."""
    generated = [spec for spec in specs if spec.kind != "reference" and spec.wire not in fixed]
    required = {s.wire: _value(s) for s in generated if s.required_on_insert}
    optional = {s.wire: _value(s) for s in generated if not s.required_on_insert}
    people = st.fixed_dictionaries(required, optional=optional)
    trial_in_order = people.filter(lambda p: not (p.get("TrialStartDate") and p.get("TrialEndDate"))
                                   or p["TrialStartDate"] <= p["TrialEndDate"])
    return trial_in_order.map(lambda p: {**p, **fixed})


def _expected(specs, sent: dict) -> dict:
    """What the database must hold: naive UTC instants, enum values as text, the rest as sent."""
    by_wire = {spec.wire: spec for spec in specs}
    expected = {}
    for wire, value in sent.items():
        if isinstance(value, datetime):
            value = value.astimezone(UTC).replace(tzinfo=None)
        expected[by_wire[wire].attr] = value
    return expected


def _stored(uow_factory, person_id, attrs) -> dict:
    stored = stored_person(uow_factory, person_id)
    return {attr: (str(stored[attr]) if hasattr(stored[attr], "value") else stored[attr]) for attr in attrs}


@EXAMPLES
@given(data=st.data())
def test_a_generated_prospect_round_trips_unchanged(soap_client, world, uow_factory, data):
    prospect = data.draw(_person(PROSPECT_FIELDS, LeadOwnerId=world.staff_id))
    result = soap_client().service.SaveProspect(ClubId=world.acme_club_ids[0], Prospect=prospect)
    assert (result.Action, result.UserType) == ("Inserted", "Prospect")
    expected = _expected(PROSPECT_FIELDS, {k: v for k, v in prospect.items() if k != "LeadOwnerId"})
    assert _stored(uow_factory, result.Id, expected) == expected
    assert stored_person(uow_factory, result.Id)["lead_owner_id"] == int(world.staff_id)


@EXAMPLES
@given(data=st.data())
def test_a_generated_member_round_trips_unchanged(soap_client, world, uow_factory, data):
    member = data.draw(_person(PERSON_FIELDS))
    result = soap_client().service.SaveMember(ClubId=world.acme_club_ids[1], Member=member)
    assert (result.Action, result.UserType) == ("Inserted", "Member")
    expected = _expected(PERSON_FIELDS, member)
    assert _stored(uow_factory, result.Id, expected) == expected


# Malformed envelopes: a valid request, cut, spliced with bytes or with elements of the
# contract holding edge values, so the fuzz reaches the parser, the schema and the types.
_NAMES = ["SaveProspect", "SaveMember", "Prospect", "Member", "ClubId", "Id", "ExternalId", "FirstName",
          "LastName", "BirthDate", "ModifiedDate", "Status", "FieldsToNull", "FieldName", "Test", MARKER]
_EDGE_TEXT = st.sampled_from(["", " ", "-1", "0", "2147483648", "99999999999999999999", "1e5", "true",
                              "2024-02-30", "0001-01-01", "9999-12-31T23:59:60Z", "24:00:00", "Active ",
                              "&amp;", "&#xFFFD;", "&#x85;", "\u2028", MARKER, "x" * 300])


def _elements(depth: int = 0) -> st.SearchStrategy[str]:
    name, text = st.sampled_from(_NAMES), _EDGE_TEXT | st.text(_CHARACTERS, max_size=8).map(_escaped)
    leaf = st.builds(lambda n, t: f"<p:{n}>{t}</p:{n}>", name, text)
    if depth >= 3:
        return leaf
    nested = st.builds(lambda n, kids: f"<p:{n}>{''.join(kids)}</p:{n}>", name,
                       st.lists(_elements(depth + 1), max_size=3))
    return leaf | nested


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;")


@st.composite
def malformed_envelopes(draw) -> bytes:
    valid = envelope(save_xml("SaveProspect", 1, "Prospect", {"ExternalId": MARKER, "FirstName": "A",
                                                              "LastName": "B"}))
    kind = draw(st.sampled_from(["truncate", "splice bytes", "elements"]))
    if kind == "truncate":
        return valid[:draw(st.integers(0, len(valid) - 1))]
    if kind == "splice bytes":
        at = draw(st.integers(0, len(valid)))
        cut = draw(st.integers(0, 20))
        return valid[:at] + draw(st.binary(max_size=20)) + valid[at + cut:]
    body = "".join(draw(st.lists(_elements(), min_size=1, max_size=3)))
    return envelope(body)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=malformed_envelopes())
def test_a_malformed_envelope_always_gets_a_soap_answer_and_never_a_crash(live_url, body):
    reply = post(live_url, body, timeout=10)
    assert reply.content_type.startswith("text/xml") and reply.is_soap_envelope, reply.body[:200]
    assert reply.status in (200, 400, 413, 415, 500)
    if reply.status != 200:
        assert reply.fault_code is not None and reply.fault_string
    assert reply.fault_code != "Server", reply.fault_string  # an unexpected error, not the caller's
    assert MARKER.encode() not in reply.body
