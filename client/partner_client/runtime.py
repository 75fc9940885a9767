"""The machinery under the generated ``PartnerClient``: zeep, WS-Security, retries, faults.

zeep is built from the WSDL bundled in this package (no network access to the
partner's ``?wsdl``) and pointed at the configured endpoint with
``create_service(binding, address)``. The UsernameToken follows the OASIS
UsernameToken Profile 1.1: a ``PasswordDigest`` with a fresh Nonce and Created on every
send (retries included, so a replay cache never sees the same nonce twice), or
``PasswordText``.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any, ClassVar, Self
from urllib.parse import urlsplit

import requests
import zeep
import zeep.exceptions
from lxml import etree
from zeep.wsdl.utils import etree_to_string
from zeep.wsse.username import UsernameToken

from . import zeep_internals
from .answers import NOT_READ, answer_parts, read_parts
from .capabilities import Capabilities, known_operations, operations_in_wsdl
from .exceptions import NotOffered, PartnerError, ProtocolError
from .faults import from_transport, from_zeep_fault
from .ns import BINDING, BUNDLED_WSDL
from .retry import RetryPolicy, repeat_is_safe
from .settings import ConnectionSettings
from .transport import get, make_session, make_transport
from .wire import OperationSpec, from_wire, request_payload, snake

log = logging.getLogger("partner_client")

_ZEEP_SETTINGS = zeep.Settings(strict=True, xml_huge_tree=False, forbid_dtd=True, forbid_entities=True,
                               forbid_external=True)


def discover(session: requests.Session, settings: ConnectionSettings) -> Capabilities:
    """The operations the partner's WSDL (``<url>?wsdl``) publishes; the read is retried
    like every other read (``retry``)."""
    url = f"{settings.url}?wsdl"

    def read() -> bytes:
        try:
            response = get(session, settings, url)
        except requests.RequestException as error:
            raise from_transport(error, "GET ?wsdl", url) from None
        if response.status_code != 200:
            raise ProtocolError(f"GET ?wsdl: {urlsplit(url).netloc} answered HTTP {response.status_code}; set "
                                "[options] operations in the turn-up sheet if the partner does not publish "
                                "its WSDL.", response.status_code)
        return response.content

    policy = RetryPolicy(settings.attempts, settings.backoff, settings.backoff_max)
    wsdl = policy.run(read, safe=True, what="GET ?wsdl")
    # Operations beyond this contract (a newer partner) are ignored: the client cannot call them.
    return Capabilities.of(operations_in_wsdl(wsdl) & known_operations())


class Answer:
    """A call's answer as it came back (``PreparedCall.send``); ``read()`` turns it into what
    the typed method answers. Reading a batch's SaveResults is Python work that a caller can
    spend outside the thread that waits on the wire."""

    __slots__ = ("_read",)

    def __init__(self, read: Callable[[], Any]):
        self._read = read

    def read(self) -> Any:
        return self._read()


class PreparedCall:
    """A call whose envelope is already built (``PartnerClient.prepare``). Calling it sends
    it, with the client's retries, and answers what the typed method would; ``send()`` does
    the sending alone and answers an ``Answer``."""

    __slots__ = ("_send",)

    def __init__(self, send: Callable[[], Answer]):
        self._send = send

    def send(self) -> Answer:
        return self._send()

    def __call__(self) -> Any:
        return self._send().read()


class PartnerClientBase:
    """One connection to one partner; subclasses (generated) add a method per operation."""

    operations: ClassVar[dict[str, OperationSpec]] = {}

    def __init__(self, settings: ConnectionSettings, capabilities: Capabilities,
                 session: requests.Session | None = None):
        self.settings = settings
        self.capabilities = capabilities
        self.session = session or make_session(settings)
        self.retry = RetryPolicy(settings.attempts, settings.backoff, settings.backoff_max)
        digest = settings.password_type == "digest"  # noqa: S105 (a password type, not a secret)
        wsse = UsernameToken(settings.username, settings.password, use_digest=digest)
        client = zeep.Client(str(BUNDLED_WSDL), transport=make_transport(settings, self.session),
                             wsse=wsse, settings=_ZEEP_SETTINGS)
        self._zeep = client
        self._service = client.create_service(BINDING, settings.url)
        zeep_internals.render_plain_values(self._service)  # this client's own copy of the WSDL

    @classmethod
    def connect(cls, settings: ConnectionSettings) -> Self:
        """A client whose capabilities come from the settings or, failing that, from ``?wsdl``."""
        session = make_session(settings)
        try:
            if settings.operations is not None:
                capabilities = Capabilities.of(settings.operations)
            else:
                capabilities = discover(session, settings)
        except BaseException:
            session.close()
            raise
        return cls(settings, capabilities, session)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def method(self, operation: str):
        """The typed method of an operation (``SaveProspects`` -> ``save_prospects``)."""
        if operation not in self.operations:
            raise NotOffered(operation)
        return getattr(self, snake(operation))

    def prepare(self, operation: str, *args: Any, **kwargs: Any) -> PreparedCall:
        """The typed method's call with these arguments, its envelope already built; calling
        the result sends it (with the same retries) and answers what the method would.

        Building a batch's envelope costs about as much as the exchange itself, so a caller
        can build the next call while the previous one waits for its answer.
        """
        bound = inspect.signature(self.method(operation)).bind(*args, **kwargs)
        bound.apply_defaults()
        return self._prepare(operation, bound.arguments)

    def _call(self, name: str, **arguments: Any) -> Any:
        return self._prepare(name, arguments)()

    def _prepare(self, name: str, arguments: dict[str, Any]) -> PreparedCall:
        spec = self.operations[name]
        if name not in self.capabilities:
            raise NotOffered(name)
        payload = request_payload(spec, arguments)
        built = [self._envelope(name, payload)]  # the first attempt's; a repeat gets a fresh token

        def attempt():
            return self._send(name, built.pop() if built else self._envelope(name, payload))

        def send() -> Answer:
            answer = self.retry.run(attempt, safe=repeat_is_safe(name, arguments), what=name)
            return Answer(lambda: self._read(name, spec, answer))

        return PreparedCall(send)

    def _read(self, name: str, spec: OperationSpec, answer: Any) -> Any:
        if isinstance(answer, _Unread):
            value = read_parts(answer.parts, spec.output)
            if value is not NOT_READ:
                return value
            binding = zeep_internals.binding_of(self._service)
            with _translated(name):  # a value only zeep knows how to read, or to refuse
                answer = binding.process_reply(self._zeep, binding.get(name), answer.response)
        out = spec.output
        try:
            if out.many:
                return [from_wire(v, out.type) for v in (answer or [])]
            return from_wire(answer, out.type)
        except (TypeError, ValueError) as error:
            raise ProtocolError(f"{name}: the answer does not match the contract ({error}).") from None

    # zeep's own send (``zeep.wsdl.bindings.soap.SoapBinding.send``) in its two halves, so that
    # the envelope (zeep's values, XML and UsernameToken) can be built before it is sent.
    def _envelope(self, name: str, payload: dict[str, Any]) -> tuple[bytes, dict]:
        """The request as sent: zeep's envelope (values, XML, UsernameToken), as bytes."""
        with _translated(name):  # zeep refusing to serialise: a bug of the caller, not of the wire
            envelope, headers = zeep_internals.build_envelope(self._service, self._zeep, name, payload)
            return etree_to_string(envelope), headers

    def _send(self, name: str, envelope: tuple[bytes, dict]) -> Any:
        """The exchange, and of the answer only what tells whether it failed: a 200 answer
        holding the expected parts comes back ``_Unread``; anything else is zeep's to read
        here (a fault raised, translated), so retries and callers see failures at once."""
        binding = zeep_internals.binding_of(self._service)
        with _translated(name):
            response = self._zeep.transport.post(zeep_internals.address_of(self._service), *envelope)
            if response.status_code == 200:
                parts = answer_parts(response.content, self.operations[name].output, self._zeep.settings)
                if parts is not NOT_READ:
                    return _Unread(parts, response)
            return binding.process_reply(self._zeep, binding.get(name), response)


class _Unread:
    """A plain answer's part elements, not yet read into the result type (``_read``)."""

    __slots__ = ("parts", "response")

    def __init__(self, parts: list, response: requests.Response):
        self.parts, self.response = parts, response


@contextmanager
def _translated(name: str):
    """zeep's and requests' errors as the client's own (``faults``)."""
    try:
        yield
    except zeep.exceptions.Fault as fault:
        raise from_zeep_fault(fault) from None
    except (requests.RequestException, zeep.exceptions.TransportError,
            zeep.exceptions.XMLSyntaxError, etree.XMLSyntaxError) as error:
        raise from_transport(error, name) from None
    except zeep.exceptions.ValidationError as error:
        raise PartnerError(f"{name}: {error.message}") from None
