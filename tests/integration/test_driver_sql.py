"""Rows written by the hand-written SQL (single saves) and by SQLAlchemy (batches, the ORM)
read back alike on both engines: same dates, instants and enumerations, so the same values
sent again are Unchanged whichever way they were stored."""

from __future__ import annotations

from datetime import date, datetime

from partner_service.domain.fields import Action, Gender, Status, UserType
from partner_service.domain.people import PersonChanges

from ..support.saves import save_many, save_one

VALUES = {"FirstName": "Åsa", "LastName": "O'Neil <&>", "Status": "Active", "Gender": "Other",
          "BirthDate": date(1901, 2, 3), "CreatedDate": datetime(2026, 1, 2, 3, 4, 5, 123456),
          "ModifiedDate": datetime(2026, 3, 1, 10, 0), "TrialStartDate": date(2026, 3, 1),
          "TrialEndDate": date(2026, 3, 8), "City": "Zürich"}


def _single(uow_factory, world, external_id):
    return save_one(uow_factory, world.acme, world.acme_club_ids[0], UserType.PROSPECT,
                       PersonChanges(dict(VALUES), external_id=external_id))


def _batch(uow_factory, world, external_id):
    records = [PersonChanges(dict(VALUES), external_id=external_id),
               PersonChanges(dict(VALUES), external_id=f"{external_id}-other")]
    return save_many(uow_factory, world.acme, world.acme_club_ids[0], UserType.PROSPECT, records)[0]


def test_what_one_way_stores_the_other_finds_unchanged(uow_factory, world):
    assert _single(uow_factory, world, "S1").action is Action.INSERTED
    assert _batch(uow_factory, world, "S1").action is Action.UNCHANGED
    assert _batch(uow_factory, world, "B1").action is Action.INSERTED
    assert _single(uow_factory, world, "B1").action is Action.UNCHANGED


def test_the_orm_reads_what_the_single_save_wrote(uow_factory, world):
    outcome = _single(uow_factory, world, "S2")
    converted = save_one(uow_factory, world.acme, world.acme_club_ids[0], UserType.MEMBER,
                            PersonChanges({"Status": "Inactive"}, external_id="S2"))
    assert converted.action is Action.UPDATED
    with uow_factory() as uow:
        person = uow.people.get(world.acme.client_id, outcome.id)
        assert (person.first_name, person.last_name, person.city) == ("Åsa", "O'Neil <&>", "Zürich")
        assert (person.status, person.gender) == (Status.INACTIVE, Gender.OTHER)
        assert person.user_type is UserType.MEMBER
        assert (person.birth_date, person.trial_end_date) == (date(1901, 2, 3), date(2026, 3, 8))
        assert person.created_date == datetime(2026, 1, 2, 3, 4, 5, 123456)
        assert [(h.from_type, h.to_type) for h in person.type_history] == [
            (None, UserType.PROSPECT), (UserType.PROSPECT, UserType.MEMBER)]



def _save_all(uow_factory, world, club, user_type, records) -> list:
    return save_many(uow_factory, world.acme, world.acme_club_ids[club], user_type, records)


def test_a_batch_update_of_many_people_stores_every_kind_of_value_as_a_single_save_would(uow_factory, world):
    """PostgreSQL writes a batch's updates as one statement over arrays, one per column."""
    plain = [PersonChanges({"FirstName": "Bo", "LastName": "Plain", "BirthDate": date(1990, 1, 1)},
                           external_id=f"U{n}") for n in range(4)]
    assert {o.action for o in _save_all(uow_factory, world, 0, UserType.PROSPECT, plain)} == {Action.INSERTED}
    second = {**VALUES, "City": "Bern", "BirthDate": date(1950, 5, 6), "Gender": "Female"}
    updates = [PersonChanges(dict(VALUES), external_id="U0"), PersonChanges(dict(second), external_id="U1"),
               PersonChanges({"City": "Lund"}, to_null=("BirthDate",), external_id="U2")]
    outcomes = _save_all(uow_factory, world, 1, UserType.PROSPECT, updates)
    assert [o.action for o in outcomes] == [Action.UPDATED] * 3, [o.error for o in outcomes]
    for external_id, values in (("U0", VALUES), ("U1", second)):
        again = save_one(uow_factory, world.acme, world.acme_club_ids[1], UserType.PROSPECT,
                            PersonChanges(dict(values), external_id=external_id))
        assert again.action is Action.UNCHANGED
    converted = [PersonChanges({"Status": "Inactive"}, external_id=e) for e in ("U2", "U3")]
    converted = _save_all(uow_factory, world, 0, UserType.MEMBER, converted)
    assert [o.action for o in converted] == [Action.UPDATED] * 2
    with uow_factory() as uow:
        first, cleared = (uow.people.get(world.acme.client_id, outcomes[n].id) for n in (0, 2))
        assert (first.last_name, first.city, first.birth_date) == ("O'Neil <&>", "Zürich", date(1901, 2, 3))
        assert (first.club_id, first.status, first.gender) == (world.acme_club_ids[1], Status.ACTIVE,
                                                               Gender.OTHER)
        assert first.created_date == datetime(2026, 1, 2, 3, 4, 5, 123456)
        assert first.trial_end_date == date(2026, 3, 8)
        assert (cleared.city, cleared.birth_date, cleared.status) == ("Lund", None, Status.INACTIVE)
        assert [(h.from_type, h.to_type) for h in cleared.type_history] == [
            (None, UserType.PROSPECT), (UserType.PROSPECT, UserType.MEMBER)]
