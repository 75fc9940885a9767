"""The client's envelopes (``partner_client.zeep_internals``) are byte for byte what zeep builds."""

from __future__ import annotations

import datetime
import typing

import zeep
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from partner_client import zeep_internals
from partner_client.generated import service, types
from partner_client.ns import BINDING, BUNDLED_WSDL
from partner_client.settings import ConnectionSettings
from partner_client.wire import request_payload
from zeep.wsse.username import UsernameToken

from .strategies import values_of

ADDRESS = "https://partner.example/soap"


def _service(plain: bool):
    client = zeep.Client(str(BUNDLED_WSDL), wsse=UsernameToken("connector", "secret"),
                         settings=zeep.Settings(strict=True))
    proxy = client.create_service(BINDING, ADDRESS)
    if plain:
        zeep_internals.render_plain_values(proxy)
    return client, proxy


PLAIN, ZEEP = _service(True), _service(False)


def _envelopes(operation: str, arguments: dict) -> list[bytes]:
    payload = request_payload(service.PartnerClient.operations[operation], arguments)
    return [etree.tostring(zeep_internals.build_envelope(proxy, client, operation, payload, ADDRESS)[0])
            for client, proxy in (PLAIN, ZEEP)]


def _arguments(operation: str) -> st.SearchStrategy:
    method = getattr(service.PartnerClient, operation[0].lower() + "".join(
        f"_{c.lower()}" if c.isupper() else c for c in operation[1:]))
    hints = typing.get_type_hints(method, vars(types))
    return st.fixed_dictionaries({name: values_of(hints[name]) for name in hints if name != "return"})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(service.PartnerClient.operations)).flatmap(
    lambda operation: st.tuples(st.just(operation), _arguments(operation))))
def test_every_operation_renders_as_zeep_renders_it(call):
    operation, arguments = call
    plain, reference = _envelopes(operation, arguments)
    assert plain == reference


def _without_nones(value):
    if isinstance(value, dict):
        return {k: _without_nones(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nones(v) for v in value]
    return value


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(service.PartnerClient.operations)).flatmap(
    lambda operation: st.tuples(st.just(operation), _arguments(operation))))
def test_unset_fields_sent_as_none_render_as_if_left_out(call):
    """The payload names every field of a record, unset ones as None (zeep skips those at once,
    where a missing one is rendered and validated as NotSet): not one byte of the envelope differs."""
    operation, arguments = call
    payload = request_payload(service.PartnerClient.operations[operation], arguments)
    client, proxy = ZEEP
    envelopes = [etree.tostring(zeep_internals.build_envelope(proxy, client, operation, sent, ADDRESS)[0])
                 for sent in (payload, _without_nones(payload))]
    assert envelopes[0] == envelopes[1]


def test_a_batch_of_two_hundred_full_records_is_the_same(tmp_path):
    prospect = types.Prospect(external_id="e & <1>", first_name="Åsa", last_name="O'Neil", city="Zürich",
                              birth_date=datetime.date(1990, 1, 2), gender=types.Gender.FEMALE,
                              modified_date=datetime.datetime(2026, 1, 1, 10, 0, 0, 5),
                              fields_to_null=["Address2", "Company"])
    plain, reference = _envelopes("SaveProspects", {"club_id": 3, "prospects": [prospect] * 200,
                                                     "all_or_none": False})
    assert plain == reference and plain.count(b"<ns0:Prospect>") == 200


def test_the_client_builds_its_envelopes_from_plain_values():
    settings = ConnectionSettings(url="https://partner.example/soap", username="u", password="p",
                                  operations=("SaveProspects",))
    with service.PartnerClient.connect(settings) as client:
        operations = zeep_internals.operations_of(client._service)
        assert operations and all(isinstance(o.input.body, zeep_internals.PlainBody) for o in operations)
