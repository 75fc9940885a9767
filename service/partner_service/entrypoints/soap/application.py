"""The spyne application: the chosen operations, the strict protocol, fault translation."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from lxml import etree
from spyne import Application
from spyne import const as spyne_const
from spyne.model.fault import Fault

from ...domain.errors import DomainError
from ...domain.model import Principal
from ...service_layer.people import PeopleStore, record_nonce_alone, save_people, save_person
from .faults import domain_fault, server_fault
from .namespaces import TNS
from .protocol import PartnerSoap11
from .services import OPERATIONS, SAVES

SERVICE_NAME = "PartnerService"


@dataclass
class Dependencies:
    """What the operations need, handed over by the app factory (never a global)."""

    uow: Callable[[], object]
    authenticate: Callable[[list], Principal]
    people: PeopleStore | None = None  # where the save operations save (``app.people_store``)
    reader: Callable[[], object] | None = None  # a unit of work that only reads (default: ``uow``)
    # The save use cases; a sandbox's are wrapped by its magic values (app.save_use_cases).
    save_person: Callable[..., object] = save_person
    save_people: Callable[..., object] = save_people

    def read(self):
        """A unit of work for an operation that only reads (listings, lookups)."""
        return (self.reader or self.uow)()


class PartnerApplication(Application):
    def call_wrapper(self, ctx):
        try:
            return super().call_wrapper(ctx)
        except Fault:
            raise
        except DomainError as error:
            raise domain_fault(error) from None
        except Exception as exc:
            raise server_fault(exc) from None


def _out_protocol() -> PartnerSoap11:
    """PartnerSoap11 out too (its fault_to_parent writes wsse: fault codes); spyne's namespace
    cleanup would drop the wsse declaration that the fault code's QName text needs, so clean up
    ourselves, keeping that prefix."""
    protocol = PartnerSoap11(None, cleanup_namespaces=False)
    protocol.event_manager.add_listener(
        "after_serialize", lambda ctx: etree.cleanup_namespaces(ctx.out_document, keep_ns_prefixes=["wsse"])
        if ctx.out_document is not None else None)
    return protocol


def build_application(deps: Dependencies, operations: Iterable[str] | None = None) -> Application:
    names = list(OPERATIONS) if operations is None else list(operations)
    unknown = [n for n in names if n not in OPERATIONS]
    if unknown or not names:
        raise ValueError(f"unknown or no operations: {unknown}; known: {sorted(OPERATIONS)}")
    # Spyne logs failing requests, bodies included; we log our own lines without them.
    logging.getLogger("spyne").setLevel(logging.CRITICAL)
    # After each request spyne runs a full gc.collect() if a second has passed (to close file
    # uploads we never take): a pause per worker per second that dominated p99 (bench/README.md).
    spyne_const.MIN_GC_INTERVAL = math.inf
    saves = frozenset(f"{{{TNS}}}{n}" for n in names if n in SAVES)
    in_protocol = PartnerSoap11(deps.authenticate, saves,
                                lambda nonce: record_nonce_alone(deps.people, nonce))
    app = PartnerApplication([OPERATIONS[n] for n in names], tns=TNS, name=SERVICE_NAME,
                             in_protocol=in_protocol, out_protocol=_out_protocol())
    app.partner = deps
    return app
