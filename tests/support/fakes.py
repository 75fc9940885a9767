"""An in-memory unit of work and ``PeopleStore``: the service layer's rules without a database.

Objects become visible to lookups when added (as after a flush) and the unit of work
counts commits, so a test can tell a refused save (no commit) from an accepted one. The
people store implements the port ``service_layer.people.PeopleStore`` (checked against it by
``test_people_store_port.py``): each attempt stages its writes and commits them at its end,
counting commits that wrote anything; a row's version changes with every committed write.
"""

from __future__ import annotations

import itertools
from contextlib import contextmanager
from types import SimpleNamespace

from partner_service.adapters.repository import parse_id
from partner_service.domain.errors import DomainError, Unavailable
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


class FakePeopleWrites:
    """``PeopleWrites`` of one attempt over ``FakePeopleStore``: writes staged until it ends."""

    def __init__(self, store: FakePeopleStore, optimistic: bool):
        self.store, self.optimistic = store, optimistic
        self.nonce = None
        self.nonce_key: str | None = None
        self.versions: dict[int, int] = {}
        self.rows: dict[int, dict] = {}
        self.history: list[tuple] = []
        self.calls: list[str] = []

    def record_nonce(self, nonce) -> None:
        self.calls.append("record_nonce")
        self.nonce = nonce
        key = nonce.database_nonce() if nonce is not None else None
        if key is not None:
            if key[0] in self.store.nonces:
                nonce.recorded(fresh=False)
            self.nonce_key = key[0]

    def club(self, client_id: int, club_id):
        return self.store.uow.clubs.get(client_id, club_id)

    def load(self, client_id: int, ids, external_ids) -> list[dict]:
        self.calls.append("load")
        ids, external_ids = set(ids), set(external_ids)
        found = [dict(row) for row in self.store.rows.values()
                 if row["client_id"] == client_id and (row["id"] in ids or row["external_id"] in external_ids)]
        for row in found:
            self.versions[row["id"]] = self.store.versions[row["id"]]
        if self.store.meddle is not None:
            self.store.meddle()
        return found

    def existing_ids(self, table: str, client_id: int, ids) -> set[int]:
        store = {"staff": self.store.uow.staff, "lead_sources": self.store.uow.lead_sources}[table]
        return {i for i in ids if store.get(client_id, i) is not None}

    def take_turns(self, client_id: int, external_ids) -> None:
        self.calls.append("take_turns")

    def insert_unless_found(self, client_id: int, external_id: str, row: dict, history):
        self.calls.append("insert_unless_found")
        found = self.load(client_id, [], [external_id])
        if found:
            return None, found
        new_id = self._insert(row)
        self.history.append((new_id, *history))
        return new_id, []

    def write(self, planned):
        self.calls.append("write")
        if self.optimistic and any(self.store.versions[row_id] != self.versions[row_id]
                                   for row_id in planned.updates):
            return None
        for row_id in planned.moving:
            self.rows.setdefault(row_id, dict(self.store.rows[row_id]))["external_id"] = None
        for row_id, changed in planned.updates.items():
            self.rows.setdefault(row_id, dict(self.store.rows[row_id])).update(changed)
        ids = {key: self._insert(row) for key, row in planned.inserts}
        self.history += [(ids.get(key, key), from_type, to_type, planned.at)
                         for key, from_type, to_type in planned.history]
        return ids

    def _insert(self, row: dict) -> int:
        new_id = next(self.store.ids)
        self.rows[new_id] = {"id": new_id, **row}
        return new_id

    def finish(self) -> None:
        self.calls.append("finish")

    def commit(self) -> None:
        store = self.store
        if self.rows or self.history or self.nonce_key:
            store.commits += 1
        for row_id, row in self.rows.items():
            store.rows[row_id] = row
            store.versions[row_id] = store.versions.get(row_id, 0) + 1
        store.history += self.history
        if self.nonce_key is not None:
            store.nonces.add(self.nonce_key)
        if self.nonce is not None:
            self.nonce.recorded()


class FakePeopleStore:
    """``PeopleStore`` in memory. ``meddle()``, when set, runs after every load: another writer.
    ``attempts`` lists each attempt's kind ("run" or "locked") and the calls it made."""

    def __init__(self, uow: FakeUnitOfWork):
        self.uow = uow  # its clubs, staff and lead sources
        self.rows: dict[int, dict] = {}
        self.versions: dict[int, int] = {}
        self.history: list[tuple] = []
        self.nonces: set[str] = set()
        self.commits = 0
        self.ids = itertools.count(1)
        self.meddle = None
        self.attempts: list[tuple[str, list[str]]] = []

    @property
    def items(self) -> dict[int, SimpleNamespace]:
        """The stored people, as objects."""
        return {row_id: SimpleNamespace(**row) for row_id, row in self.rows.items()}

    def run(self, work):
        return self._attempt(work, optimistic=True)

    def run_locked(self, work):
        return self._attempt(work, optimistic=False)

    def _attempt(self, work, optimistic: bool):
        writes = FakePeopleWrites(self, optimistic)
        self.attempts.append(("run" if optimistic else "locked", writes.calls))
        try:
            result = work(writes)
        except Unavailable:
            raise  # rolled back
        except DomainError:
            writes.commit()  # a rule's refusal keeps what was written before it (the nonce)
            raise
        writes.commit()
        return result


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
        self.people_store = FakePeopleStore(self)
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
