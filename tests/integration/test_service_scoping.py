"""A credential limited to some clubs of its client touches those clubs only, on both engines."""

from __future__ import annotations

import pytest
from partner_service.domain.errors import Forbidden, NotFound
from partner_service.domain.fields import Action, UserType
from partner_service.domain.model import Principal
from partner_service.domain.people import PersonChanges
from partner_service.service_layer import staff, tenants

from ..support.saves import save_many, save_one

PETE = {"FirstName": "Pete", "LastName": "Prospect"}


@pytest.fixture
def scoped(world, uow_factory):
    """``(limited principal, its club, the club it may not use, a person in that club)``."""
    mine, theirs = world.acme_club_ids
    person = save_one(uow_factory, world.acme, theirs, UserType.MEMBER,
                         PersonChanges(values=dict(PETE), external_id="S-1"))
    return Principal(world.acme.client_id, club_ids=frozenset({mine})), mine, theirs, person.id


def stored_club(uow_factory, world, person_id) -> int:
    with uow_factory() as uow:
        return uow.people.get(world.acme.client_id, person_id).club_id


def test_a_limited_credential_saves_in_its_own_clubs(scoped, uow_factory):
    limited, mine, _, _ = scoped
    outcome = save_one(uow_factory, limited, mine, UserType.PROSPECT, PersonChanges(values=dict(PETE)))
    assert outcome.action is Action.INSERTED


def test_a_limited_credential_may_not_save_into_another_club(scoped, uow_factory):
    limited, _, theirs, _ = scoped
    with pytest.raises(Forbidden):
        save_one(uow_factory, limited, theirs, UserType.PROSPECT, PersonChanges(values=dict(PETE)))


@pytest.mark.parametrize("key", ["id", "external_id"])
def test_a_limited_credential_may_not_change_or_pull_in_a_person_of_another_club(scoped, uow_factory,
                                                                                 world, key):
    limited, mine, theirs, person_id = scoped
    changes = PersonChanges(values={"City": "Moved"}, **{key: person_id if key == "id" else "S-1"})
    with pytest.raises(Forbidden):
        save_one(uow_factory, limited, mine, UserType.MEMBER, changes)
    assert stored_club(uow_factory, world, person_id) == theirs


@pytest.mark.parametrize("key", ["id", "external_id"])
def test_a_limited_credentials_batch_fails_a_person_of_another_club_and_saves_the_rest(
        scoped, uow_factory, world, key):
    limited, mine, theirs, person_id = scoped
    outcomes = save_many(uow_factory, limited, mine, UserType.MEMBER, [
        PersonChanges(values={"City": "Moved"}, **{key: person_id if key == "id" else "S-1"}),
        PersonChanges(values=dict(PETE), external_id="S-2")])
    assert [(o.action, o.error and o.error.code) for o in outcomes] == [
        (Action.FAILED, "Client.Forbidden"), (Action.INSERTED, None)]
    assert stored_club(uow_factory, world, person_id) == theirs


def test_a_limited_credential_sees_the_staff_of_its_clubs_only(scoped, uow_factory, world):
    limited, _, theirs, _ = scoped
    elsewhere = tenants.add_staff(uow_factory(), world.acme.client_id, "far@club.com", "Far", "Away", [theirs])
    assert [v.id for v in staff.list_staff(uow_factory(), limited)] == [world.staff_id]
    assert [v.id for v in staff.list_staff(uow_factory(), world.acme)] == [world.staff_id, elsewhere.id]
    with pytest.raises(NotFound):
        staff.staff_by_email(uow_factory(), limited, "far@club.com")
    with pytest.raises(Forbidden):
        staff.list_staff(uow_factory(), limited, theirs)
