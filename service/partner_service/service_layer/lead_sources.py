"""Lead sources: listed, created or renamed by the Connector, one per trimmed name."""

from __future__ import annotations

from ..domain.errors import Conflict, NotFound, ValidationError
from ..domain.fields import EXTERNAL_ID_MAX_LENGTH, LEAD_SOURCE_NAME_MAX_LENGTH, Action
from ..domain.model import LeadSource, Principal, lead_source_key
from ..domain.people import _FORBIDDEN_CONTROL
from .results import LeadSourceView, SaveOutcome
from .unit_of_work import UnitOfWork


def _check_text(field: str, value: str | None, max_length: int, required: bool) -> None:
    if value is None or not value.strip():
        if required:
            raise ValidationError(field, f"{field} is required and must not be blank.")
        return
    if len(value) > max_length:
        raise ValidationError(field, f"{field} is longer than {max_length} characters.")
    if _FORBIDDEN_CONTROL.intersection(value):
        raise ValidationError(field, f"{field} contains a control character.")


def _name_taken() -> ValidationError:
    return ValidationError("Name", "Another lead source already has that name.")


def list_lead_sources(uow: UnitOfWork, principal: Principal) -> list[LeadSourceView]:
    with uow:
        return [LeadSourceView(str(s.id), s.name, s.external_id)
                for s in uow.lead_sources.list(principal.client_id)]


def save_lead_source(uow: UnitOfWork, principal: Principal, source_id: str | None, name: str | None,
                     external_id: str | None = None, test: bool = False) -> SaveOutcome:
    """Without an ID: the existing source of that name (Unchanged) or a new one.
    With an ID: rename it."""
    _check_text("Name", name, LEAD_SOURCE_NAME_MAX_LENGTH, required=True)
    _check_text("ExternalId", external_id, EXTERNAL_ID_MAX_LENGTH, required=False)
    client_id = principal.client_id
    with uow:
        if source_id is not None:
            source = uow.lead_sources.get(client_id, source_id)
            if source is None:
                raise NotFound("No lead source with that LeadSourceId exists for this client.")
            other = uow.lead_sources.by_name(client_id, name)
            if other is not None and other.id != source.id:
                raise _name_taken()
            before = (source.name, source.external_id)
            source.rename(name)
            if external_id is not None:
                source.external_id = external_id
            action = Action.UNCHANGED if (source.name, source.external_id) == before else Action.UPDATED
            try:
                uow.flush()
            except Conflict:
                # Another request took that name meanwhile (its commit came after our lookup).
                raise _name_taken() from None
        else:
            source = uow.lead_sources.by_name(client_id, name)
            action = Action.UNCHANGED
            if source is None:
                source, action = LeadSource(client_id, name, external_id), Action.INSERTED
                try:
                    with uow.savepoint():
                        uow.lead_sources.add(source)
                        uow.flush()
                except Conflict:
                    # Another request created the same name meanwhile: that one is ours too.
                    source = uow.lead_sources.by_name(client_id, name)
                    if source is None:
                        raise
                    action = Action.UNCHANGED
        outcome = SaveOutcome(id=str(source.id) if source.id else None, action=action)
        if test:
            return outcome.as_validated()
        if action is not Action.UNCHANGED:
            uow.commit()
        return outcome


__all__ = ["list_lead_sources", "save_lead_source", "lead_source_key"]
