"""Single saves on PostgreSQL in two autocommitted statements: optimistic, not locking.

The rules are ``planning``'s, as for every save; only the writing differs
(``adapters.people_statements``): the nonce goes in with the load of the person's rows, and
the write is one statement that only touches the row if it is still the version the plan was
made from. A save whose row changed in between is planned again from what is stored then
(the nonce, recorded by the first load, is not inserted again), so two saves of one person
never overwrite each other unseen, exactly as with the row lock of a transaction.

What a statement has not written cannot half-exist: a person and their history row are one
statement. A save refused by a rule has its nonce recorded (the load did it), as in
``people.save_person``. A credential whose row is due for bookkeeping (its last use, once a
minute) takes ``people.save_person``'s path, which writes that row in the save's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from ..domain.errors import Conflict
from ..domain.fields import UserType
from ..domain.model import Principal
from ..domain.people import PersonChanges
from . import people
from .auth import Admission, replayed
from .planning import ATTEMPTS, club_in_scope, load_plan, outcome_of, plan_one, write_one
from .results import SaveOutcome
from .unit_of_work import statement_errors

# nonce -> the rows of one save on one autocommit connection (``StatementRows``)
OpenRows = Callable[[tuple | None], AbstractContextManager]


class StatementSaves:
    """``save(...)`` as ``people.save_person`` without the unit of work argument."""

    def __init__(self, open_rows: OpenRows, uow_factory: Callable[[], object]):
        self.open_rows = open_rows
        self.uow_factory = uow_factory

    def save(self, principal: Principal, club_id: int, user_type: UserType, changes: PersonChanges,
             test: bool = False, admit: Admission | None = None) -> SaveOutcome:
        if admit is not None and admit.needs_unit_of_work:
            return people.save_person(self.uow_factory(), principal, club_id, user_type, changes,
                                      test=test, admit=admit)
        now = people.utcnow()
        nonce = admit.database_nonce() if admit is not None else None
        for number in range(ATTEMPTS):
            try:
                outcome = self._attempt(nonce, principal, club_id, user_type, changes, test, now)
            except Conflict:  # a concurrent INSERT of the same ExternalId won
                if number == ATTEMPTS - 1:
                    raise
                outcome = None
            if outcome is not None:
                return outcome
            nonce = None  # recorded by the first load: another attempt must not take it for a replay
        raise Conflict("The person kept changing while this save was planned; nothing was saved. Retry.")

    def _attempt(self, nonce, principal: Principal, club_id: int, user_type: UserType,
                 changes: PersonChanges, test: bool, now) -> SaveOutcome | None:
        """One load and (unless nothing changes) one write; None: the row changed in between."""
        opened = []  # the pool's checkout may fail too: translated like the statements
        with statement_errors(lambda: any(r.writing for r in opened)), self.open_rows(nonce) as rows:
            opened.append(rows)
            plan = load_plan(rows, principal.client_id, [changes])
            if rows.nonce_was_fresh is False:
                raise replayed()
            club = club_in_scope(rows, principal, club_id)
            result = plan_one(plan, principal, club.id, user_type, changes, now)
            if test:
                return outcome_of(plan, {}, result).as_validated()
            ids = write_one(rows, plan, now)
            return None if ids is None else outcome_of(plan, ids, result)
