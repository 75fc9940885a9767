"""Magic values of the test site: a save whose ``ExternalId`` or ``LastName`` begins
``SANDBOX-`` followed by a code makes the service answer a failure the Connector must handle,
as Stripe's test mode does with its test card numbers (docs/test-site.md lists them).

- ``SANDBOX-UNAVAILABLE``: ``Server.Unavailable``; nothing saved;
- ``SANDBOX-SLOW-<seconds>``: saved normally, answered after that many seconds (1 to 120; 40
  without a number);
- ``SANDBOX-DROP``: saved and committed, then the connection closes without an answer (in
  doubt); a retry of the same save answers normally (``Unchanged``, with the Id);
- ``SANDBOX-INVALID-<Field>``: ``Client.Validation`` naming that field (e.g.
  ``SANDBOX-INVALID-Email``); nothing saved;
- ``SANDBOX-STALE``: ``Stale`` with the request's ``Id``; nothing saved.

In a batch each code acts on its record (``INVALID``: that record ``Failed``; ``STALE``: that
record ``Stale``) except ``UNAVAILABLE`` (the whole call), ``SLOW`` (the whole call, the longest
delay) and ``DROP`` (the whole call, when any record was written). Any other text after
``SANDBOX-`` is ordinary data.

``MagicValues`` wraps the save use cases, so it is chosen once, in the app factory, and only for
a sandbox: in production the same values are stored as the plain data they are. The dropped
connection is the transport's business: ``MagicValues`` marks the request (``drop_requested``)
and the sandbox's WSGI wrapper (``entrypoints/sandbox_wsgi.py``) acts on the mark.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import replace

from ..domain.errors import Unavailable, ValidationError
from ..domain.fields import PROSPECT_FIELDS, Action
from ..domain.people import PersonChanges
from .people import PeopleStore, SaveRequest, record_nonce_alone
from .results import RecordRefusal, SaveOutcome

PREFIX = "SANDBOX-"
DEFAULT_DELAY = 40
MAX_DELAY = 120
FIELDS = frozenset(["Id", "ExternalId", "FieldsToNull", *(spec.wire for spec in PROSPECT_FIELDS)])
_CHANGED = (Action.INSERTED, Action.UPDATED)

# Set by a save that asks for the dropped connection; read (and cleared) by the WSGI wrapper.
drop_requested: ContextVar[bool] = ContextVar("drop_requested", default=False)


def magic_code(changes: PersonChanges) -> str | None:
    """The code after ``SANDBOX-`` in the ExternalId or LastName, upper-cased; None when neither has one."""
    for value in (changes.external_id, changes.values.get("LastName")):
        if isinstance(value, str) and value.upper().startswith(PREFIX):
            return value[len(PREFIX):].upper()
    return None


def _delay(code: str | None) -> int | None:
    if code is None or not (code == "SLOW" or code.startswith("SLOW-")):
        return None
    number = code[len("SLOW-"):]
    return min(int(number), MAX_DELAY) if number.isdigit() and int(number) > 0 else DEFAULT_DELAY


def _invalid_field(code: str | None) -> str | None:
    if code is None or not code.startswith("INVALID-"):
        return None
    wanted = code[len("INVALID-"):]
    return next((name for name in FIELDS if name.upper() == wanted), "ExternalId")


def _refusal(code: str | None) -> ValidationError | None:
    field = _invalid_field(code)
    if field is None:
        return None
    return ValidationError(field, f"{field} is refused: the test site's magic value SANDBOX-INVALID-{field}.")


def _record_nonce(store: PeopleStore, request: SaveRequest) -> None:
    if request.nonce is not None:
        record_nonce_alone(store, request.nonce)


def _stale(changes: PersonChanges, user_type) -> SaveOutcome:
    return SaveOutcome(id=changes.id, action=Action.STALE, user_type=user_type)


class MagicValues:
    """Wraps the save use cases (``people.save_person``, ``people.save_people``: a store and a
    ``SaveRequest`` in, the outcome out). What the wrapper answers itself (a refusal, ``Stale``)
    still records the request's nonce, as the use case would, so that message cannot be replayed."""

    def __init__(self, sleep: Callable[[float], None] = time.sleep):
        self.sleep = sleep

    def person(self, save: Callable[[PeopleStore, SaveRequest], SaveOutcome]
               ) -> Callable[[PeopleStore, SaveRequest], SaveOutcome]:
        def save_in_sandbox(store: PeopleStore, request: SaveRequest) -> SaveOutcome:
            (changes,) = request.records
            code = magic_code(changes)
            if code is None:
                return save(store, request)
            self._before(code)
            refusal = _refusal(code)
            if refusal is not None:
                _record_nonce(store, request)
                raise refusal
            if code == "STALE":
                _record_nonce(store, request)
                return _stale(changes, request.user_type)
            outcome = save(store, request)
            if code == "DROP" and outcome.action in _CHANGED:
                drop_requested.set(True)
            return outcome
        return save_in_sandbox

    def people(self, save: Callable[[PeopleStore, SaveRequest], list[SaveOutcome]]
               ) -> Callable[[PeopleStore, SaveRequest], list[SaveOutcome]]:
        def save_in_sandbox(store: PeopleStore, request: SaveRequest) -> list[SaveOutcome]:
            batch = request.records
            codes = [magic_code(changes) for changes in batch]
            if not any(codes):
                return save(store, request)
            delays = [d for d in map(_delay, codes) if d]
            self._before("UNAVAILABLE" if "UNAVAILABLE" in codes else f"SLOW-{max(delays)}" if delays else None)
            answered: dict[int, SaveOutcome] = {}
            for index, (code, changes) in enumerate(zip(codes, batch, strict=True)):
                refusal = _refusal(code)
                if refusal is not None:
                    answered[index] = SaveOutcome(None, Action.FAILED, error=RecordRefusal(
                        refusal.code, refusal.message, refusal.field))
                elif code == "STALE":
                    answered[index] = _stale(changes, request.user_type)
            if request.all_or_none and any(o.action is Action.FAILED for o in answered.values()):
                _record_nonce(store, request)
                undone = RecordRefusal("Client.RolledBack", "Not saved: another record of this AllOrNone "
                                                            "batch failed.")
                return [answered.get(i) if i in answered and answered[i].action is Action.FAILED
                        else SaveOutcome(None, Action.FAILED, error=undone) for i in range(len(batch))]
            rest = tuple(changes for i, changes in enumerate(batch) if i not in answered)
            if rest:
                saved = iter(save(store, replace(request, records=rest)))
            else:
                _record_nonce(store, request)
                saved = iter(())
            outcomes = [answered[i] if i in answered else next(saved) for i in range(len(batch))]
            if "DROP" in codes and any(o.action in _CHANGED for o in outcomes):
                drop_requested.set(True)
            return outcomes
        return save_in_sandbox

    def _before(self, code: str | None) -> None:
        """What happens before any saving: the outage, the delay."""
        if code == "UNAVAILABLE":
            raise Unavailable("The service is unavailable (the test site's magic value SANDBOX-UNAVAILABLE); "
                              "nothing was saved: retry later.")
        delay = _delay(code)
        if delay:
            self.sleep(delay)
