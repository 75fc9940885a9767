"""The spyne application: the chosen operations, the strict protocol, fault translation."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from spyne import Application
from spyne.model.fault import Fault
from spyne.protocol.soap import Soap11

from ...domain.errors import DomainError
from ...domain.model import Principal
from .faults import domain_fault, server_fault
from .namespaces import TNS
from .protocol import PartnerSoap11
from .services import OPERATIONS

SERVICE_NAME = "PartnerService"


@dataclass
class Dependencies:
    """What the operations need, handed over by the app factory (never a global)."""

    uow: Callable[[], object]
    authenticate: Callable[[list], Principal]


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


def build_application(deps: Dependencies, operations: Iterable[str] | None = None) -> Application:
    names = list(OPERATIONS) if operations is None else list(operations)
    unknown = [n for n in names if n not in OPERATIONS]
    if unknown or not names:
        raise ValueError(f"unknown or no operations: {unknown}; known: {sorted(OPERATIONS)}")
    # Spyne logs failing requests, bodies included; we log our own lines without them.
    logging.getLogger("spyne").setLevel(logging.CRITICAL)
    app = PartnerApplication([OPERATIONS[n] for n in names], tns=TNS, name=SERVICE_NAME,
                             in_protocol=PartnerSoap11(deps.authenticate), out_protocol=Soap11())
    app.partner = deps
    return app
