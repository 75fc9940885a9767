"""Answers read by ``partner_client.answers`` equal what zeep and ``from_wire`` make of them."""

from __future__ import annotations

import zeep
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from lxml.builder import ElementMaker
from partner_client import zeep_internals
from partner_client.answers import NOT_READ, read_answer
from partner_client.generated import service, types
from partner_client.ns import BINDING, BUNDLED_WSDL
from partner_client.wire import from_wire, to_wire

from .strategies import values_of

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
ZEEP = zeep.Client(str(BUNDLED_WSDL), settings=zeep.Settings(strict=True))
BINDING_ = zeep_internals.binding_of(ZEEP.create_service(BINDING, "https://partner.example/soap"))
OPERATIONS = service.PartnerClient.operations


class _Response:
    status_code = 200
    headers = {"Content-Type": "text/xml; charset=utf-8"}
    encoding = "utf-8"

    def __init__(self, content: bytes):
        self.content = content


def _answer_xml(operation: str, value) -> bytes:
    """The answer as a partner would send it, rendered by zeep from the operation's output."""
    output = OPERATIONS[operation].output
    body = ElementMaker(namespace=SOAP, nsmap={"soap-env": SOAP}).Body()
    envelope = ElementMaker(namespace=SOAP, nsmap={"soap-env": SOAP}).Envelope(body)
    wire = [to_wire(v) for v in value] if output.many else to_wire(value)
    BINDING_.get(operation).output.body.render(body, {output.wire: wire})
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def _by_zeep(operation: str, content: bytes):
    output = OPERATIONS[operation].output
    answer = BINDING_.process_reply(ZEEP, BINDING_.get(operation), _Response(content))
    return [from_wire(v, output.type) for v in answer or []] if output.many else from_wire(answer, output.type)


def _answers(operation: str) -> st.SearchStrategy:
    output = OPERATIONS[operation].output
    one = values_of(output.type)
    return st.lists(one, min_size=1, max_size=4) if output.many else one


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(OPERATIONS)).flatmap(lambda op: st.tuples(st.just(op), _answers(op))))
def test_an_answer_reads_as_zeep_reads_it_or_is_left_to_zeep(call):
    operation, value = call
    content = _answer_xml(operation, value)
    read = read_answer(content, OPERATIONS[operation].output, ZEEP.settings)
    assert read is NOT_READ or read == _by_zeep(operation, content)


def test_a_batchs_answer_is_read_without_zeep():
    results = [types.SaveResult(id=str(n), action=types.Action.INSERTED, user_type=types.UserType.PROSPECT)
               for n in range(200)]
    results[7] = types.SaveResult(action=types.Action.FAILED, error=types.RecordError(
        code="Client.Validation", field="LastName", message="LastName is required <&>."))
    content = _answer_xml("SaveProspects", results)
    assert read_answer(content, OPERATIONS["SaveProspects"].output, ZEEP.settings) == results == _by_zeep(
        "SaveProspects", content)


def test_faults_and_unexpected_answers_are_left_to_zeep():
    fault = (f'<s:Envelope xmlns:s="{SOAP}"><s:Body><s:Fault><faultcode>s:Client.NotFound</faultcode>'
             "<faultstring>No person with that Id.</faultstring></s:Fault></s:Body></s:Envelope>").encode()
    other = _answer_xml("SaveProspect", types.SaveResult(action=types.Action.INSERTED, id="1")).replace(
        b"</ns0:SaveResult>", b"<ns0:Extra>1</ns0:Extra></ns0:SaveResult>")
    doctype = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]>' + fault[fault.index(b"<s:Envelope"):]
    for content in (fault, other, doctype, b"not xml"):
        assert read_answer(content, OPERATIONS["SaveProspect"].output, ZEEP.settings) is NOT_READ
