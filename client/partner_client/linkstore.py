"""The Connector's memory of which partner record is which of its own.

Contract "What the Connector does with it": remember the pair of IDs for staff (matched
by email), lead sources (matched by name or created) and people (the Id every save
returned, sent on every later save). One store may hold several partners: every row is
keyed by ``partner`` (the turn-up sheet's client ID and host).

SQLAlchemy Core over a SQLite file by default (any SQLAlchemy URL works; SQLite and
PostgreSQL are tested). The tables are a local cache of links that a re-sync can rebuild,
so they are created on open rather than migrated.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Column, DateTime, Engine, Integer, MetaData, String, Table, create_engine, func, select

# The library's default; the command line's is beside the turn-up sheet (``TurnupSheet.links_url``).
DEFAULT_PATH = Path("var") / "partner-client-links.sqlite3"

metadata = MetaData()


def _table(name: str, *extra: Column) -> Table:
    return Table(name, metadata,
                 Column("partner", String(300), primary_key=True),
                 Column("connector_id", String(100), primary_key=True),
                 Column("partner_id", String(20), nullable=False),
                 *extra,
                 Column("linked_at", DateTime, nullable=False))


staff_links = _table("staff_links", Column("email", String(254), nullable=False))
lead_source_links = _table("lead_source_links", Column("name", String(100), nullable=False))
person_links = _table("person_links", Column("user_type", String(20), nullable=False),
                      Column("club_id", Integer, nullable=False))


@dataclass(frozen=True)
class Link:
    """One remembered pair of IDs, as ``links list`` shows it; ``detail`` is the email (staff),
    the name (lead sources) or the user type and club (people)."""

    connector_id: str
    partner_id: str
    detail: str
    linked_at: datetime


@dataclass(frozen=True)
class PersonLink:
    connector_id: str
    partner_id: str
    user_type: str
    club_id: int


def default_url() -> str:
    """``PARTNER_CLIENT_LINKS`` or a SQLite file ``var/partner-client-links.sqlite3``."""
    url = os.environ.get("PARTNER_CLIENT_LINKS", "")
    if url:
        return url
    DEFAULT_PATH.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_PATH}"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class LinkStore:
    def __init__(self, engine: Engine, partner: str):
        if engine.dialect.name not in ("sqlite", "postgresql"):
            raise ValueError("The link store runs on SQLite or PostgreSQL.")
        self.engine = engine
        self.partner = partner
        metadata.create_all(engine)

    @classmethod
    def open(cls, url: str | None, partner: str) -> LinkStore:
        return cls(create_engine(url or default_url()), partner)

    def close(self) -> None:
        self.engine.dispose()

    def _upsert(self, table: Table, rows: Sequence[dict]) -> None:
        if not rows:
            return
        # Imported here: the PostgreSQL dialect's package loads all its drivers at start-up,
        # which a SQLite link store never needs.
        if self.engine.dialect.name == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        statement = insert(table)
        keys = {"partner", "connector_id"}
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.partner, table.c.connector_id],
            set_={c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys})
        with self.engine.begin() as connection:
            connection.execute(statement, [{"partner": self.partner, "linked_at": _now(), **r} for r in rows])

    def _delete(self, table: Table, connector_id: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(table.delete().where(table.c.partner == self.partner,
                                                    table.c.connector_id == connector_id))

    def _get(self, table: Table, connector_id: str):
        with self.engine.connect() as connection:
            return connection.execute(select(table).where(table.c.partner == self.partner,
                                                          table.c.connector_id == connector_id)).first()

    # staff
    def staff(self, connector_id: str) -> str | None:
        row = self._get(staff_links, connector_id)
        return row.partner_id if row else None

    def link_staff(self, connector_id: str, partner_id: str, email: str) -> None:
        self._upsert(staff_links, [{"connector_id": connector_id, "partner_id": partner_id, "email": email}])

    def unlink_staff(self, connector_id: str) -> None:
        self._delete(staff_links, connector_id)

    # lead sources
    def lead_source(self, connector_id: str) -> tuple[str, str] | None:
        """(partner ID, the name last synchronised) of a linked lead source."""
        row = self._get(lead_source_links, connector_id)
        return (row.partner_id, row.name) if row else None

    def link_lead_source(self, connector_id: str, partner_id: str, name: str) -> None:
        self._upsert(lead_source_links,
                     [{"connector_id": connector_id, "partner_id": partner_id, "name": name}])

    # people
    def people(self, connector_ids: Iterable[str]) -> dict[str, PersonLink]:
        ids = list(connector_ids)
        found: dict[str, PersonLink] = {}
        with self.engine.connect() as connection:
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                rows = connection.execute(select(person_links).where(
                    person_links.c.partner == self.partner, person_links.c.connector_id.in_(chunk)))
                for row in rows:
                    found[row.connector_id] = PersonLink(row.connector_id, row.partner_id, row.user_type,
                                                         row.club_id)
        return found

    def link_people(self, links: Sequence[PersonLink]) -> None:
        """Remember many people at once, in one transaction (one batch's answers)."""
        self._upsert(person_links, [{"connector_id": k.connector_id, "partner_id": k.partner_id,
                                     "user_type": k.user_type, "club_id": k.club_id} for k in links])

    def links(self, kind: str) -> list[Link]:
        """Every link of one kind (``KINDS``), by connector ID."""
        table = KINDS[kind]
        with self.engine.connect() as connection:
            rows = connection.execute(select(table).where(table.c.partner == self.partner)
                                      .order_by(table.c.connector_id)).all()
        return [Link(row.connector_id, row.partner_id, _detail(kind, row), row.linked_at) for row in rows]

    def forget(self, kind: str, connector_ids: Iterable[str] | None) -> int:
        """Forget links of one kind (all of them when ``connector_ids`` is ``None``); how many.
        A forgotten person is saved by ``ExternalId`` next time, which finds the same record."""
        table = KINDS[kind]
        statement = table.delete().where(table.c.partner == self.partner)
        with self.engine.begin() as connection:
            if connector_ids is None:
                return connection.execute(statement).rowcount
            ids = list(connector_ids)
            return sum(connection.execute(statement.where(table.c.connector_id.in_(ids[start:start + 500])))
                       .rowcount for start in range(0, len(ids), 500))

    def counts(self) -> dict[str, int]:
        def count(connection, table: Table) -> int:
            query = select(func.count()).select_from(table).where(table.c.partner == self.partner)
            return connection.execute(query).scalar_one()

        with self.engine.connect() as connection:
            return {kind: count(connection, table) for kind, table in KINDS.items()}


KINDS = {"staff": staff_links, "lead-sources": lead_source_links, "people": person_links}


def _detail(kind: str, row) -> str:
    if kind == "staff":
        return row.email
    if kind == "lead-sources":
        return row.name
    return f"{row.user_type} in club {row.club_id}"
