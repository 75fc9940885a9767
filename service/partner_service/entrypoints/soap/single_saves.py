"""SaveProspect, SaveMember and SaveExMember: the runtime path of a single save's request.

Purpose: a single save is the call a Connector makes most, so its request is read and answered
here, beside spyne, without spyne's per-request machinery (contexts, events, its serializer),
and saved by the one use case ``service_layer.people.save_person``. Spyne's operations for
the same names (``services.py``) declare them in the WSDL and answer the requests handed over
from here; when they run, they call the same use case.

Contract: the same pieces do the same checks in the same order as spyne:
1. ``parse_envelope`` and ``split_envelope`` (the protocol's own, hardened parser);
2. ``HeaderAuthenticator.open``: the token checked without the writes of a good one;
3. the protocol's schema validation and control-character check of the operation element,
   then its own reader (``PartnerSoap11.from_element``) for the values;
4. ``save_person`` with the token's nonce recorded in the save's own commit.
Anything that does not pass 1 or 3 here (a fault of any kind) is handed to spyne untouched,
since nothing has been written yet: spyne then answers it exactly as it answers every other
request. A token refused in 2 is answered here, its failure counted there: handed to spyne, a
wrong text password would cost a second argon2 run. From 2 on the answer is ours: the same
SaveResult, or the same fault, that spyne writes (``tests/e2e/test_single_saves.py`` sends
both paths the same requests and compares the answers and what was stored).

Trade-off: the SaveResult is written from a template rather than by spyne, so its shape is
kept equal to spyne's by that test, not by construction.
"""

from __future__ import annotations

from collections.abc import Callable

from spyne.model.fault import Fault

from ...domain.errors import DomainError
from ...domain.fields import PERSON_FIELDS, PROSPECT_FIELDS, UserType
from ...service_layer import people
from ...service_layer.people import PeopleStore, SaveRequest
from ...service_layer.results import SaveOutcome
from ..request_log import fault_code
from .faults import domain_fault, fault_document, server_fault
from .namespaces import SOAP11_ENV, TNS
from .protocol import PartnerSoap11, parse_envelope, split_envelope
from .services import person_changes

# operation -> (the record's element name, its user type, its fields)
_OPERATIONS = {
    "SaveProspect": ("Prospect", UserType.PROSPECT, PROSPECT_FIELDS),
    "SaveMember": ("Member", UserType.MEMBER, PERSON_FIELDS),
    "SaveExMember": ("ExMember", UserType.EX_MEMBER, PERSON_FIELDS),
}
_ANSWER = ("<?xml version='1.0' encoding='UTF-8'?>\n"
           f'<soap11env:Envelope xmlns:soap11env="{SOAP11_ENV}" xmlns:tns="{TNS}"><soap11env:Body>'
           "<tns:{operation}Response><tns:SaveResult>{id}<tns:Action>{action}</tns:Action>{user_type}"
           "</tns:SaveResult></tns:{operation}Response></soap11env:Body></soap11env:Envelope>")


class _Context:
    """What ``PartnerSoap11.validate_body`` and ``from_element`` read of spyne's context."""

    def __init__(self, body):
        self.in_body_doc = body


def answer(operation: str, outcome: SaveOutcome) -> bytes:
    """The SaveResult, as spyne writes it. Every value is ours (digits and enumerations)."""
    return _ANSWER.format(
        operation=operation, action=outcome.action.value,
        id=f"<tns:Id>{outcome.id}</tns:Id>" if outcome.id is not None else "",
        user_type=f"<tns:UserType>{outcome.user_type.value}</tns:UserType>" if outcome.user_type else "",
    ).encode()


class SingleSaves:
    """``handle(body, charset, record, soap_action)`` -> ``(status, body)``, or None: spyne answers it."""

    def __init__(self, soap_app, open_token: Callable[[list], tuple], store: PeopleStore,
                 save_person: Callable[[PeopleStore, SaveRequest], SaveOutcome] = people.save_person):
        self.protocol: PartnerSoap11 = soap_app.in_protocol
        self.open_token = open_token  # ``HeaderAuthenticator.open``: header -> (Principal, NonceRecord)
        self.store = store  # the app's ``PeopleStore`` (``app.people_store``)
        self.save_person = save_person  # the use case (a sandbox's wrapped: ``app.save_use_cases``)
        methods = soap_app.interface.service_method_map
        self.operations = {f"{{{TNS}}}{name}": (name, methods[f"{{{TNS}}}{name}"][0].in_message, *parts)
                           for name, parts in _OPERATIONS.items() if f"{{{TNS}}}{name}" in methods}

    def handle(self, body: bytes, charset: str | None, record,
               soap_action: str | None = None) -> tuple[str, bytes] | None:
        try:
            header, operation = split_envelope(parse_envelope(body, charset), soap_action)
        except (Fault, DomainError, ValueError, TypeError):
            return None  # spyne answers it, with the fault it always gives
        known = self.operations.get(operation.tag)
        if known is None:
            return None
        name, in_message, record_name, user_type, specs = known
        try:
            principal, nonce = self.open_token(header)
        except DomainError as error:  # refused, its failure counted: spyne would check it again
            record.operation = name
            return self._fault(domain_fault(error), record, header)
        except (Fault, ValueError, TypeError):
            return None  # refused before any password check (an unknown mustUnderstand header)
        try:
            request = self._read(operation, in_message)
        except (Fault, DomainError, ValueError, TypeError):
            return None  # spyne answers it, checking the token again (a good one's check is
            # cached) and writing its nonce
        record.operation, record.club = name, request.ClubId
        record.client, record.credential = principal.client_id, principal.credential_id
        record.username = principal.username or None
        try:
            outcome = self.save_person(self.store, SaveRequest.single(
                principal, request.ClubId, user_type, person_changes(getattr(request, record_name), specs),
                test=bool(request.Test), nonce=nonce))
        except DomainError as error:
            return self._fault(domain_fault(error), record)
        except Exception as exc:
            return self._fault(server_fault(exc), record)
        return "200 OK", answer(name, outcome)

    def _read(self, operation, in_message):
        context = _Context(operation)
        self.protocol.validate_body(context, None)
        return self.protocol.from_element(context, in_message, operation)

    @staticmethod
    def _fault(fault: Fault, record, header: list | None = None) -> tuple[str, bytes]:
        record.failed(fault_code(fault), header)
        return "500 Internal Server Error", fault_document(fault)
