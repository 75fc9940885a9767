"""Every use of zeep's private attributes in the client, behind one named extension point.

Purpose: the client needs two things zeep offers only inside: an envelope built before it is
sent (so that the next batch is built while the previous one waits for its answer), and
envelopes rendered from plain dicts and lists instead of zeep's value objects. zeep's own
``Client.create_message`` and ``Transport.post_xml`` reach the same internals
(``ServiceProxy._binding``, ``SoapBinding._create``); this module is where the client does, and
nowhere else does.

Rendering plain values: zeep's ``SoapMessage.serialize`` first turns the keyword arguments
into its value objects (``self.body(**kwargs)``: a ``CompoundValue`` per complex element,
checked member by member) and then renders those into XML; rendering reads each value by key
(``name in value``, ``value[name]``), so the plain dicts and lists that ``wire.to_wire`` makes
render to the same bytes with the conversion skipped (``PlainBody`` stands in for the input
message's ``body`` element).

Contract: ``check(service)`` raises ``ZeepChanged`` when an attribute used here is gone or no
longer what it was; ``tests/client/test_zeep_internals.py`` runs it against the installed
zeep, and ``tests/client/test_envelopes.py`` compares every operation's envelope, byte for
byte, with what unmodified zeep builds, so a zeep upgrade that changes these fails there first.

Trade-off: a zeep upgrade may need this module changed; in exchange the client's envelopes
cost about half the CPU (see ``bench/README.md``) and can be built ahead of sending.
"""

from __future__ import annotations

import inspect
from typing import Any

from lxml import etree


class ZeepChanged(RuntimeError):
    """The installed zeep no longer has what this module relies on."""


class PlainBody:
    """Stands in for an input message's body element: its "value" is the arguments as given."""

    def __init__(self, element: Any):
        self._element = element

    def __call__(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        if args:
            raise TypeError("the client passes a request's parts by name")
        return kwargs

    def __getattr__(self, name: str) -> Any:
        return getattr(self._element, name)


def binding_of(service: Any) -> Any:
    """The ``SoapBinding`` behind a ``ServiceProxy`` (``client.create_service(...)``)."""
    return service._binding


def operations_of(service: Any) -> list[Any]:
    """The binding's operations (each with ``input``, ``output``)."""
    return list(binding_of(service)._operations.values())


def address_of(service: Any) -> str:
    """The endpoint address the service proxy was created for."""
    return service._binding_options["address"]


def build_envelope(service: Any, client: Any, operation: str, payload: dict[str, Any],
                   address: str | None = None) -> tuple[etree._Element, dict]:
    """The request envelope of ``operation`` (values, XML, WS-Security) and its HTTP headers,
    built as zeep's ``SoapBinding.send`` would build it, without sending it."""
    options = {"address": address} if address is not None else service._binding_options
    return binding_of(service)._create(operation, (), payload, client=client, options=options)


def render_plain_values(service: Any) -> None:
    """Have every operation of this service proxy render the caller's dicts directly."""
    for operation in operations_of(service):
        message = operation.input
        if message is not None and getattr(message, "body", None) is not None \
                and not isinstance(message.body, PlainBody):
            message.body = PlainBody(message.body)


def check(service: Any) -> None:
    """Raise ``ZeepChanged`` unless every internal used here is as this module expects."""
    try:
        binding = binding_of(service)
        operations = operations_of(service)
        address_of(service)
        parameters = list(inspect.signature(binding._create).parameters)
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise ZeepChanged(f"zeep's internals changed: {error}") from None
    if parameters[:3] != ["operation", "args", "kwargs"] or not {"client", "options"} <= set(parameters):
        raise ZeepChanged(f"SoapBinding._create takes {parameters}")
    if not operations or any(not hasattr(o.input, "body") for o in operations):
        raise ZeepChanged("a binding operation's input message has no body element")
    if not callable(getattr(binding, "process_reply", None)):
        raise ZeepChanged("SoapBinding.process_reply is gone")


__all__ = ["PlainBody", "ZeepChanged", "address_of", "binding_of", "build_envelope", "check",
           "operations_of", "render_plain_values"]
