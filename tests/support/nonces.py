"""A stand-in for ``auth.NonceRecord`` in tests of the save use cases and stores."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from partner_service.service_layer.auth import replayed

NOW = datetime(2026, 11, 28, 12, 0, 0)


class Nonce:
    """As ``auth.NonceRecord`` for a credential that needs no bookkeeping: a database nonce
    (``key``, kept ``until``), recorded once. ``written`` counts ``write(uow)`` calls."""

    needs_transaction = False

    def __init__(self, key: str | None = None, until: datetime = NOW + timedelta(minutes=5),
                 now: datetime = NOW):
        self.key = key or uuid.uuid4().hex
        self.until, self.now = until, now
        self.done = False
        self.written = 0

    def database_nonce(self):
        return None if self.done else (self.key, self.until, self.now)

    def recorded(self, fresh: bool = True) -> None:
        if not fresh:
            raise replayed()
        self.done = True

    def write(self, uow) -> None:
        self.written += 1
        if not self.done and not uow.nonces.remember(self.key, self.until, self.now):
            raise replayed()
