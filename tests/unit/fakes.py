"""An in-memory unit of work: the service layer's rules without a database.

Objects become visible to lookups when added (as after a flush) and the unit of work
counts commits, so a test can tell a refused save (no commit) from an accepted one.
"""

from __future__ import annotations

import itertools
from contextlib import contextmanager
from types import SimpleNamespace

from partner_service.adapters.people_rows import PERSON_COLUMNS
from partner_service.adapters.repository import parse_id
from partner_service.domain.model import Club, LeadSource, Staff, lead_source_key


class _Store:
    def __init__(self):
        self.items: dict[int, object] = {}
        self._ids = itertools.count(1)

    def add(self, item) -> None:
        item.id = next(self._ids)
        self.items[item.id] = item

    def get(self, client_id: int, item_id) -> object | None:
        item = self.items.get(parse_id(item_id))
        return item if item is not None and item.client_id == client_id else None

    def of(self, client_id: int) -> list:
        return [i for i in self.items.values() if i.client_id == client_id]


class FakePeopleRows(_Store):
    """``adapters.people_rows.PeopleRows`` over a dict: rows as namespaces, history as a list."""

    def __init__(self, uow: FakeUnitOfWork):
        super().__init__()
        self.uow = uow
        self.history: list[dict] = []

    def begin_batch(self, client_id: int, external_ids) -> None:
        pass

    def load(self, client_id: int, ids, external_ids) -> list[dict]:
        ids, external_ids = set(ids), set(external_ids)
        return [{"id": p.id, **{c: getattr(p, c) for c in PERSON_COLUMNS}} for p in self.of(client_id)
                if p.id in ids or p.external_id in external_ids]

    def existing_ids(self, table: str, client_id: int, ids) -> set[int]:
        store = {"staff": self.uow.staff, "lead_sources": self.uow.lead_sources}[table]
        return {i for i in ids if store.get(client_id, i) is not None}

    def insert(self, rows: list[dict]) -> list[int]:
        added = [SimpleNamespace(**row) for row in rows]
        for row in added:
            self.add(row)
        return [row.id for row in added]

    def update(self, changes: dict[int, dict]) -> None:
        for row_id, values in changes.items():
            vars(self.items[row_id]).update(values)

    def clear_external_ids(self, ids) -> None:
        for row_id in ids:
            self.items[row_id].external_id = None

    def add_history(self, entries: list[dict]) -> None:
        self.history.extend(entries)


class FakeClubs(_Store):
    def for_client(self, client_id: int) -> list[Club]:
        return self.of(client_id)


class FakeStaff(_Store):
    def list(self, client_id: int, club_ids=None) -> list[Staff]:
        return [s for s in self.of(client_id) if club_ids is None or set(s.club_ids) & set(club_ids)]

    def summaries(self, client_id: int, club_ids=None) -> list[tuple]:
        return [(s.id, s.email, s.first_name, s.last_name, s.active, tuple(s.club_ids))
                for s in self.list(client_id, club_ids)]

    def by_email(self, client_id: int, email: str) -> list[Staff]:
        return [s for s in self.of(client_id) if s.email.lower() == email.strip().lower()]


class FakeLeadSources(_Store):
    def by_name(self, client_id: int, name: str) -> LeadSource | None:
        return next((s for s in self.of(client_id) if s.name_key == lead_source_key(name)), None)

    def list(self, client_id: int) -> list[LeadSource]:
        return self.of(client_id)


class FakeUnitOfWork:
    def __init__(self):
        self.people = self.people_rows = FakePeopleRows(self)
        self.clubs = FakeClubs()
        self.staff = FakeStaff()
        self.lead_sources = FakeLeadSources()
        self.commits = 0

    def __enter__(self) -> FakeUnitOfWork:
        return self

    def __exit__(self, *exc) -> None:
        pass

    def commit(self) -> None:
        self.commits += 1

    def rollback(self) -> None:
        pass

    def flush(self) -> None:
        pass

    @contextmanager
    def savepoint(self):
        yield
