"""Retries against a service that fails on purpose: a dropped connection after the save
was committed, then ``Server.Unavailable``, then the real answer. Only calls that are safe
to repeat are repeated (reads; saves naming Id or ExternalId), never ``Client.*`` faults,
and the repeated save leaves exactly one person."""

from __future__ import annotations

import pytest
from partner_client import Action, ConnectionFailed, PartnerClient, Prospect, Unavailable, ValidationError
from partner_client.push import Pusher
from partner_client.records import parse_record

from .conftest import FailsOnPurpose


def flaky(plan=("drop", "unavailable")):
    holder = {}

    def wrap(app):
        holder["app"] = FailsOnPurpose(app, plan)
        return holder["app"]

    return wrap, holder


def test_a_save_with_external_id_is_repeated_and_makes_no_duplicate(partner, world, stored):
    wrap, holder = flaky()
    with PartnerClient.connect(partner(wrap=wrap)) as client:
        result = client.save_prospect(world.acme_club_ids[0], Prospect(
            external_id="c-1", first_name="Pete", last_name="Prospect"))
        assert client.retry.retried == 2
    assert holder["app"].posts == 3
    # The dropped first try was committed; the repeat found it by ExternalId.
    assert result.action is Action.UNCHANGED
    assert list(stored()) == ["c-1"]
    assert result.id == str(stored()["c-1"]["id"])


def test_a_batch_push_through_failures_links_everyone_once(partner, links, world, stored):
    wrap, holder = flaky(("drop", "unavailable", "pass", "drop"))
    rows = [{"connector_id": f"p{n}", "first_name": "P", "last_name": str(n)} for n in range(7)]
    with PartnerClient.connect(partner(wrap=wrap)) as client:
        report = Pusher(client, links, batch_size=3).push(
            [parse_record(n, row, world.acme_club_ids[0]) for n, row in enumerate(rows, 1)])
    assert report.aborted is None and not report.failures
    assert report.processed == 7
    assert sorted(stored()) == sorted(r["connector_id"] for r in rows)
    linked = links.people(r["connector_id"] for r in rows)
    assert {k: v.partner_id for k, v in linked.items()} == {k: str(v["id"]) for k, v in stored().items()}


def test_a_save_naming_no_record_is_not_repeated(partner, world, stored):
    wrap, holder = flaky(("drop",))
    with PartnerClient.connect(partner(wrap=wrap)) as client, pytest.raises(ConnectionFailed):
        client.save_prospect(world.acme_club_ids[0], Prospect(first_name="Pete", last_name="Prospect"))
    # Repeating would have inserted a second Pete: the one attempt is all there is.
    assert holder["app"].posts == 1
    assert len(stored()) == 1


def test_client_faults_are_never_repeated(partner, world):
    wrap, holder = flaky(())
    with PartnerClient.connect(partner(wrap=wrap)) as client, pytest.raises(ValidationError):
        client.save_prospect(world.acme_club_ids[0], Prospect(external_id="c-1", first_name="No last name"))
    assert holder["app"].posts == 1


def test_reads_are_repeated(partner, world):
    wrap, holder = flaky()
    with PartnerClient.connect(partner(wrap=wrap)) as client:
        assert [s.staff_id for s in client.get_staff_list()] == [world.staff_id]
    assert holder["app"].posts == 3


def test_repeats_stop_after_the_configured_attempts(partner, world):
    wrap, holder = flaky(("unavailable",) * 10)
    with PartnerClient.connect(partner(wrap=wrap, attempts=3)) as client, pytest.raises(Unavailable):
        client.get_lead_sources()
    assert holder["app"].posts == 3


def test_a_push_stops_when_the_partner_stays_down_and_resumes_later(partner, links, world, stored):
    wrap, holder = flaky(("pass",) + ("unavailable",) * 10)
    rows = [{"connector_id": f"p{n}", "first_name": "P", "last_name": str(n)} for n in range(6)]
    batch = [parse_record(n, row, world.acme_club_ids[0]) for n, row in enumerate(rows, 1)]
    with PartnerClient.connect(partner(wrap=wrap, attempts=2)) as client:
        report = Pusher(client, links, batch_size=3).push(batch)
        assert report.aborted and "Unavailable" in report.aborted
        assert report.count(Action.INSERTED) == 3
        holder["app"].plan.clear()
        resumed = Pusher(client, links, batch_size=3).push(batch)
    assert (resumed.count(Action.UNCHANGED), resumed.count(Action.INSERTED)) == (3, 3)
    assert len(stored()) == 6


def test_a_push_stops_at_an_answer_it_cannot_read_and_keeps_what_was_saved(partner, links, world, stored):
    # The answer is read while the next batch is already on the wire: that batch's answer is
    # still read and its links kept, and a second run sends nobody twice.
    wrap, holder = flaky(("pass", "garble"))
    rows = [{"connector_id": f"p{n}", "first_name": "P", "last_name": str(n)} for n in range(9)]
    rows.insert(7, {"connector_id": "bad", "first_name": "B", "last_name": "B", "birth_date": "soon"})
    batch = [parse_record(n, row, world.acme_club_ids[0]) for n, row in enumerate(rows, 1)]
    with PartnerClient.connect(partner(wrap=wrap)) as client:
        report = Pusher(client, links, batch_size=3).push(batch)
        assert report.aborted and "does not match the contract" in report.aborted
        assert report.count(Action.INSERTED) == 6
        assert [f.connector_id for f in report.failures] == ["bad"]  # read with the batch in flight
        assert sorted(links.people(r["connector_id"] for r in rows)) == ["p0", "p1", "p2", "p6", "p7", "p8"]
        resumed = Pusher(client, links, batch_size=3).push(batch)
    assert resumed.aborted is None
    assert (resumed.count(Action.UNCHANGED), resumed.count(Action.FAILED)) == (9, 1)
    assert len(stored()) == 9
