"""The link store on SQLite and PostgreSQL: pairs of IDs per partner, upserted in bulk."""

from __future__ import annotations

import pytest
from partner_client.linkstore import LinkStore, PersonLink


@pytest.fixture
def store_url(database_url):
    """A fresh database of each engine (tests/conftest.py), holding links only."""
    return database_url


def test_links_are_kept_per_partner_and_replaced_in_place(store_url):
    one, two = LinkStore.open(store_url, "1@a"), LinkStore.open(store_url, "1@b")
    try:
        one.link_staff("1111", "9999", "jstaff@club.com")
        one.link_lead_source("NEWSPAPER", "3", "Newspaper")
        one.link_people([PersonLink(f"p{n}", str(n), "Prospect", 1) for n in range(1200)])
        one.link_people([PersonLink("p5", "5", "Member", 2)])
        assert (one.staff("1111"), two.staff("1111")) == ("9999", None)
        assert one.lead_source("NEWSPAPER") == ("3", "Newspaper")
        found = one.people(f"p{n}" for n in range(1300))
        assert len(found) == 1200 and found["p5"] == PersonLink("p5", "5", "Member", 2)
        assert two.people(["p5"]) == {}
        one.unlink_staff("1111")
        assert one.counts() == {"staff": 0, "lead-sources": 1, "people": 1200}
    finally:
        one.close()
        two.close()
