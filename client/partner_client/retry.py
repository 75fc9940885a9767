"""When a call may be sent again, and how long to wait in between.

Only what cannot cause a second effect is repeated (contract "Save semantics"):
reads (``Get*``), and saves whose every record names its target: ``Id`` (update that
record), ``ExternalId`` (insert-or-update keyed on it, safe even when retries race) or,
for lead sources, ``LeadSourceId``. And only after failures that say nothing was
answered or saved: transport errors, ``Server.Unavailable`` and a proxy's 502/503/504.
A ``Client.*`` fault is never repeated: the same request would get the same answer.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from .exceptions import ConnectionFailed, PartnerError, ProtocolError, Timeout, Unavailable

log = logging.getLogger("partner_client.retry")
T = TypeVar("T")
_IDENTITY = ("id", "external_id", "lead_source_id")


def _records(arguments: dict[str, Any]) -> Iterable[Any]:
    for value in arguments.values():
        if dataclasses.is_dataclass(value):
            yield value
        elif isinstance(value, list):
            yield from (v for v in value if dataclasses.is_dataclass(v))


def repeat_is_safe(operation: str, arguments: dict[str, Any]) -> bool:
    if operation.startswith("Get"):
        return True
    records = list(_records(arguments))
    return bool(records) and all(any(getattr(r, name, None) for name in _IDENTITY) for r in records)


def is_transient(error: PartnerError) -> bool:
    if isinstance(error, ConnectionFailed | Timeout | Unavailable):
        return True
    return isinstance(error, ProtocolError) and error.status in (502, 503, 504)


@dataclass
class RetryPolicy:
    """Exponential backoff with jitter: ``backoff * 2**n`` seconds, at most ``backoff_max``."""

    attempts: int = 4
    backoff: float = 0.5
    backoff_max: float = 8.0
    sleep: Callable[[float], None] = time.sleep
    retried: int = 0

    def delay(self, attempt: int) -> float:
        return min(self.backoff_max, self.backoff * 2 ** attempt) * random.uniform(0.5, 1.0)

    def run(self, call: Callable[[], T], *, safe: bool, what: str) -> T:
        attempt = 0
        while True:
            try:
                return call()
            except PartnerError as error:
                attempt += 1
                if not (safe and is_transient(error)) or attempt >= self.attempts:
                    raise
                self.retried += 1
                wait = self.delay(attempt - 1)
                said = error.message.rstrip(".")
                said = said if said.startswith(what) else f"{what}: {said}"
                log.warning("%s (%s); try %d of %d in %.1f s", said, type(error).__name__,
                            attempt + 1, self.attempts, wait)
                self.sleep(wait)
