"""What a caller is told when the database goes away: before commit, or during it."""

import pytest
from partner_service.domain.errors import Conflict, Unavailable
from partner_service.service_layer.unit_of_work import SqlAlchemyUnitOfWork
from sqlalchemy.exc import OperationalError


class _BrokenSession:
    def __init__(self, fail_on: str):
        self.fail_on = fail_on
        self.info = {}  # as a Session's: a read-only one is marked there

    def _maybe_fail(self, step):
        if step == self.fail_on:
            raise OperationalError("COMMIT", {}, ConnectionResetError("connection reset"))

    def commit(self):
        self._maybe_fail("commit")

    def flush(self):
        self._maybe_fail("flush")

    def rollback(self):
        pass

    def close(self):
        pass


def _uow(fail_on):
    return SqlAlchemyUnitOfWork(lambda: _BrokenSession(fail_on))


def test_outage_before_commit_says_nothing_was_saved():
    with pytest.raises(Unavailable, match="nothing was saved"), _uow("flush") as uow:
        uow.flush()


def test_outage_during_commit_does_not_claim_nothing_was_saved():
    with pytest.raises(Unavailable) as caught, _uow("commit") as uow:
        uow.commit()
    assert "may or may not be stored" in caught.value.message
    assert "nothing was saved" not in caught.value.message


class _Deadlock(Exception):
    sqlstate = "40P01"


class _DeadlockingSession(_BrokenSession):
    def commit(self):
        raise OperationalError("COMMIT", {}, _Deadlock("deadlock detected"))


def test_a_deadlock_is_a_conflict_worth_retrying_and_still_unavailable_to_the_caller():
    with pytest.raises(Conflict) as caught, SqlAlchemyUnitOfWork(lambda: _DeadlockingSession("")) as uow:
        uow.commit()
    assert isinstance(caught.value, Unavailable)  # Server.Unavailable on the wire: retry
    assert "nothing was saved" in caught.value.message
