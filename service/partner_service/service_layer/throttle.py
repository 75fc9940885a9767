"""Slowing down password guessing per source address, never per username.

A lock on a username lets anyone who knows it (it is on the turn-up sheet and in logs) keep
its owner out with a wrong guess now and then. So failures are counted per address the
request came from (behind a trusted proxy, the address it names): after ``threshold``
failures in a row an address waits ``first_seconds`` before its next try is even checked,
doubling with every further failure up to ``max_seconds``. A success from the address
forgets its failures. A correct token from any other address is never refused because of
them. Tries during the wait are refused without a password check and are not counted, so
guessing cannot stretch a wait past the cap; the wait, not a lock, is the whole penalty.

IPv6 callers are counted per /64 (one host's usual share); IPv4-mapped addresses as IPv4.

Trade-off, as documented in docs/security.md: the counts live in each process, so W workers on
H hosts let one address try about W x H x threshold times before every process makes it wait;
with generated secrets of 192 bits that changes nothing about guessing, and the throttle's job
is to keep a guesser from spending the service's argon2 time. Callers sharing one address
(a NAT) share its count: a guesser there slows its neighbours' *failures*, never their successes
once the wait is over.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ThrottlePolicy:
    threshold: int = 5          # failures in a row before an address must wait ...
    first_seconds: int = 60     # ... this long, doubling per further failure ...
    max_seconds: int = 900      # ... up to this cap; a quiet address is forgotten after it.


@dataclass
class _Failures:
    count: int
    wait_until: float
    last: float


def source_key(address: str) -> str:
    """The unit counted: the IPv4 address, or the /64 of an IPv6 address."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


class FailureThrottle:
    """Thread-safe; at most ``size`` addresses remembered (the least recently failed go first)."""

    def __init__(self, policy: ThrottlePolicy | None = None,
                 clock: Callable[[], float] = time.monotonic, size: int = 100_000):
        self.policy = policy or ThrottlePolicy()
        self._clock = clock
        self._size = size
        self._failures: OrderedDict[str, _Failures] = OrderedDict()
        self._lock = threading.Lock()

    def wait(self, address: str) -> int:
        """Whole seconds this address must still wait before its next try is checked (0: none)."""
        with self._lock:
            entry = self._failures.get(source_key(address))
            remaining = 0.0 if entry is None else entry.wait_until - self._clock()
        return math.ceil(remaining) if remaining > 0 else 0

    def failed(self, address: str) -> None:
        key, now, policy = source_key(address), self._clock(), self.policy
        with self._lock:
            entry = self._failures.pop(key, None)
            if entry is None or now - max(entry.wait_until, entry.last) > policy.max_seconds:
                entry = _Failures(0, now, now)   # new, or quiet long enough to start afresh
            if entry.wait_until > now:
                self._failures[key] = entry       # a try during the wait is not counted
                return
            entry.count += 1
            entry.last = now
            over = entry.count - policy.threshold
            if over >= 0:
                entry.wait_until = now + min(policy.first_seconds * 2 ** min(over, 20), policy.max_seconds)
            self._failures[key] = entry
            while len(self._failures) > self._size:
                self._failures.popitem(last=False)

    def succeeded(self, address: str) -> None:
        with self._lock:
            self._failures.pop(source_key(address), None)


__all__ = ["FailureThrottle", "ThrottlePolicy", "source_key"]
