"""The save use cases as the database tests call them: over the app's store for the engine."""

from __future__ import annotations

from partner_service.app import people_store
from partner_service.service_layer.people import PeopleStore, SaveRequest, save_people, save_person


def store_for(uow_factory) -> PeopleStore:
    """The app's ``PeopleStore`` for the engine of ``uow_factory``'s units of work, made once per
    factory (a test's own), never shared between tests."""
    store = getattr(uow_factory, "people_store", None)
    if store is None:
        engine = uow_factory().session_factory.kw["bind"]
        store = uow_factory.people_store = people_store(engine, uow_factory)
    return store


def save_one(uow_factory, principal, club_id, user_type, changes, test=False, nonce=None):
    return save_person(store_for(uow_factory), SaveRequest.single(principal, club_id, user_type, changes,
                                                                  test=test, nonce=nonce))


def save_many(uow_factory, principal, club_id, user_type, records, all_or_none=False, test=False, nonce=None):
    return save_people(store_for(uow_factory), SaveRequest(principal, club_id, user_type, tuple(records),
                                                           test=test, all_or_none=all_or_none, nonce=nonce))
