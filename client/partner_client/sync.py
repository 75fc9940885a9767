"""Linking the Connector's staff and lead sources to the partner's.

Implements the seed's "Staff Synchronization" and "Lead Source Synchronization" and
the contract's "What the Connector does with it":

- staff are matched by email, case-insensitive and trimmed, through ``GetStaffList``
  (one call) or ``GetStaffByEmail`` (one call each), whichever the partner offers; two
  partner staff with one email are ambiguous and link nothing; staff are never created;
- lead sources follow the mode the partner's operations allow: list and create (match
  by name, else create), list only (match, else that source fails), create only (save;
  the partner answers an existing name with its ID); a renamed source is sent again only
  where the partner can update (``SaveLeadSource`` with ``LeadSourceId``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from . import exceptions as exc
from .capabilities import LeadSourceMode
from .generated.service import PartnerClient
from .generated.types import Action, LeadSource, Staff
from .linkstore import LinkStore


class Outcome(StrEnum):
    LINKED = "linked"
    UNCHANGED = "unchanged"
    CREATED = "created"
    RENAMED = "renamed"
    NOT_RENAMED = "not renamed"
    UNMATCHED = "unmatched"
    AMBIGUOUS = "ambiguous"
    FAILED = "failed"


@dataclass(frozen=True)
class ConnectorStaff:
    connector_id: str
    email: str


@dataclass(frozen=True)
class ConnectorLeadSource:
    connector_id: str
    name: str


@dataclass(frozen=True)
class SyncItem:
    connector_id: str
    outcome: Outcome
    partner_id: str | None = None
    message: str = ""


def match_key(text: str | None) -> str:
    """Emails and lead source names compare case-insensitively, ignoring outer spaces."""
    return (text or "").strip().casefold()


def _is_systemic(error: exc.PartnerError) -> bool:
    """Errors that would fail every item alike: stop the sync instead of reporting each."""
    return isinstance(error, exc.TransportError | exc.Unavailable | exc.AuthenticationError)


def _staff_match(client: PartnerClient, email: str,
                 index: dict[str, list[Staff]] | None) -> tuple[str | None, int]:
    """(partner staff ID when exactly one matches, how many match)."""
    if index is not None:
        matches = index.get(match_key(email), [])
    else:
        try:
            matches = [client.get_staff_by_email(email.strip())]
        except exc.NotFound:
            matches = []
        except exc.ValidationError as error:
            if error.field != "Email":
                raise
            # The lookup refuses an email that several staff share: it cannot name one.
            return None, 2
    return (matches[0].staff_id if len(matches) == 1 else None), len(matches)


def _collecting(on_item: Callable[[SyncItem], None] | None):
    items: list[SyncItem] = []

    def add(item: SyncItem) -> None:
        items.append(item)
        if on_item is not None:
            on_item(item)
    return items, add


def sync_staff(client: PartnerClient, store: LinkStore, staff: Iterable[ConnectorStaff],
               on_item: Callable[[SyncItem], None] | None = None) -> list[SyncItem]:
    """Link each Connector staff member to the one partner staff member with its email.

    ``on_item`` is told of each item as it is done (progress; what was done when a
    failure that stops the sync is raised)."""
    lookup = client.capabilities.staff_lookup
    wanted = list(staff)
    items, add = _collecting(on_item)
    if lookup is None:
        for s in wanted:
            add(SyncItem(s.connector_id, Outcome.UNMATCHED, message="the partner offers no staff lookup; "
                         "prospects are sent without an owner"))
        return items
    index: dict[str, list[Staff]] | None = None
    if lookup == "GetStaffList":
        index = defaultdict(list)
        for member in client.get_staff_list():
            index[match_key(member.email)].append(member)
    for person in wanted:
        previous = store.staff(person.connector_id)
        if not match_key(person.email):
            store.unlink_staff(person.connector_id)
            add(SyncItem(person.connector_id, Outcome.UNMATCHED, message="no email to match on"))
            continue
        try:
            partner_id, count = _staff_match(client, person.email, index)
        except exc.PartnerError as error:
            if _is_systemic(error):
                raise
            add(SyncItem(person.connector_id, Outcome.FAILED, previous, str(error)))
            continue
        if partner_id is not None:
            store.link_staff(person.connector_id, partner_id, person.email.strip())
            outcome = Outcome.UNCHANGED if previous == partner_id else Outcome.LINKED
            add(SyncItem(person.connector_id, outcome, partner_id))
            continue
        store.unlink_staff(person.connector_id)
        if count > 1:
            add(SyncItem(person.connector_id, Outcome.AMBIGUOUS,
                                  message="several partner staff share this email; not linked"))
        else:
            add(SyncItem(person.connector_id, Outcome.UNMATCHED,
                                  message="no partner staff has this email; prospects go without an owner"))
    return items


class LeadSourceSync:
    """One run of lead source synchronisation in the mode the partner's WSDL allows."""

    def __init__(self, client: PartnerClient, store: LinkStore):
        self.client = client
        self.store = store
        self.mode = client.capabilities.lead_source_mode
        self._index: dict[str, list[LeadSource]] | None = None

    def index(self) -> dict[str, list[LeadSource]]:
        if self._index is None:
            self._index = defaultdict(list)
            for source in self.client.get_lead_sources():
                self._index[match_key(source.name)].append(source)
        return self._index

    def run(self, sources: Iterable[ConnectorLeadSource],
            on_item: Callable[[SyncItem], None] | None = None) -> list[SyncItem]:
        items, add = _collecting(on_item)
        for source in sources:
            try:
                add(self.one(source))
            except exc.PartnerError as error:
                if _is_systemic(error):
                    raise
                add(SyncItem(source.connector_id, Outcome.FAILED, message=str(error)))
        return items

    def one(self, source: ConnectorLeadSource) -> SyncItem:
        name = source.name.strip()
        if not name:
            return SyncItem(source.connector_id, Outcome.FAILED, message="a lead source needs a name")
        link = self.store.lead_source(source.connector_id)
        if link is not None:
            return self._linked(source, name, *link)
        if self.mode in (LeadSourceMode.LIST_AND_CREATE, LeadSourceMode.LIST_ONLY):
            matches = self.index().get(match_key(name), [])
            if len(matches) == 1:
                self.store.link_lead_source(source.connector_id, matches[0].lead_source_id, name)
                return SyncItem(source.connector_id, Outcome.LINKED, matches[0].lead_source_id)
            if len(matches) > 1:
                return SyncItem(source.connector_id, Outcome.AMBIGUOUS,
                                message=f"{len(matches)} partner lead sources have this name")
            if self.mode is LeadSourceMode.LIST_ONLY:
                return SyncItem(source.connector_id, Outcome.FAILED,
                                message="no partner lead source has this name, and the partner "
                                        "cannot create one")
        if self.mode is LeadSourceMode.NONE:
            return SyncItem(source.connector_id, Outcome.FAILED,
                            message="the partner offers no lead source operations")
        result = self.client.save_lead_source(LeadSource(name=name, external_id=source.connector_id))
        if not result.id:
            return SyncItem(source.connector_id, Outcome.FAILED,
                            message=f"the partner answered {result.action}")
        self.store.link_lead_source(source.connector_id, result.id, name)
        outcome = Outcome.CREATED if result.action is Action.INSERTED else Outcome.LINKED
        return SyncItem(source.connector_id, outcome, result.id)

    def _linked(self, source: ConnectorLeadSource, name: str, partner_id: str, synced: str) -> SyncItem:
        if name == synced:
            return SyncItem(source.connector_id, Outcome.UNCHANGED, partner_id)
        if not self.client.capabilities.can_rename_lead_sources:
            return SyncItem(source.connector_id, Outcome.NOT_RENAMED, partner_id,
                            "the partner cannot update lead sources; its name stays as it was")
        self.client.save_lead_source(LeadSource(lead_source_id=partner_id, name=name,
                                                external_id=source.connector_id))
        self.store.link_lead_source(source.connector_id, partner_id, name)
        return SyncItem(source.connector_id, Outcome.RENAMED, partner_id)


def sync_lead_sources(client: PartnerClient, store: LinkStore, sources: Iterable[ConnectorLeadSource],
                      on_item: Callable[[SyncItem], None] | None = None) -> list[SyncItem]:
    return LeadSourceSync(client, store).run(sources, on_item)
