"""Helpers for the over-the-wire operation tests: faults as zeep sees them, and the stored
state read back through a unit of work (so a test never trusts the answer alone)."""

from __future__ import annotations

import pytest
import zeep.exceptions
from partner_service.domain.model import LeadSource, Person
from partner_service.service_layer.people import utcnow
from sqlalchemy import func, select

TNS = "urn:connector-partner:v1"
PETE = {"FirstName": "Pete", "LastName": "Prospect"}


def fault_of(call, *args, **kwargs) -> zeep.exceptions.Fault:
    with pytest.raises(zeep.exceptions.Fault) as caught:
        call(*args, **kwargs)
    return caught.value


def code_of(fault: zeep.exceptions.Fault) -> str:
    """The fault code without its ``soap11env:`` prefix."""
    return fault.code.split(":", 1)[-1]


def detail_field(fault: zeep.exceptions.Fault) -> str | None:
    field = fault.detail.find(f".//{{{TNS}}}Field") if fault.detail is not None else None
    return None if field is None else field.text


def assert_fault(call, code: str, field: str | None = None, **kwargs) -> zeep.exceptions.Fault:
    fault = fault_of(call, **kwargs)
    assert code_of(fault) == code, fault.message
    if field is not None:
        assert detail_field(fault) == field
    return fault


def stored_person(uow_factory, person_id) -> dict:
    """A person's stored fields (by attribute) with club, type and type history, or {}."""
    with uow_factory() as uow:
        person = uow.session.get(Person, int(person_id))
        if person is None:
            return {}
        state = person.snapshot()
        state["history"] = [(h.from_type and h.from_type.value, h.to_type.value) for h in person.type_history]
        state["updated_at"] = person.updated_at
        return state


def people_count(uow_factory) -> int:
    with uow_factory() as uow:
        return uow.session.scalar(select(func.count()).select_from(Person))


def lead_source_names(uow_factory, client_id: int) -> list[str]:
    with uow_factory() as uow:
        return list(uow.session.scalars(select(LeadSource.name).where(LeadSource.client_id == client_id)
                                        .order_by(LeadSource.id)))


__all__ = ["PETE", "TNS", "assert_fault", "code_of", "detail_field", "fault_of", "lead_source_names",
           "people_count", "stored_person", "utcnow"]
