"""Tables, and their imperative mapping onto the domain classes.

The person columns come from ``domain.fields`` so a contract field is declared once.
Schema changes go through Alembic (``migrations/``); a test checks that the migrated
schema matches this metadata.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import registry, relationship

from ..domain.credentials import Credential
from ..domain.fields import DATE, DATETIME, ENUM, PROSPECT_FIELDS, REFERENCE, UserType
from ..domain.model import Client, Club, LeadSource, Person, Staff, UserTypeChange

metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})
mapper_registry = registry(metadata=metadata)

# SQLite only makes INTEGER PRIMARY KEY an alias of its rowid (autoincrementing).
Id = BigInteger().with_variant(Integer(), "sqlite")


def _enum(enum_cls, name):
    return Enum(enum_cls, name=name, native_enum=False, values_callable=lambda e: [m.value for m in e],
                validate_strings=True, length=20)


def _person_column(spec):
    if spec.kind == DATE:
        return Column(spec.attr, Date)
    if spec.kind == DATETIME:
        return Column(spec.attr, DateTime)
    if spec.kind == ENUM:
        return Column(spec.attr, _enum(spec.choices, spec.choices.__name__.lower()))
    if spec.kind == REFERENCE:
        return Column(spec.attr, Id)
    return Column(spec.attr, String(spec.max_length))


clients = Table(
    "clients", metadata,
    Column("id", Id, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
)

clubs = Table(
    "clubs", metadata,
    Column("id", Id, primary_key=True),
    Column("client_id", Id, ForeignKey("clients.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
)

people = Table(
    "people", metadata,
    Column("id", Id, primary_key=True),
    Column("client_id", Id, ForeignKey("clients.id"), nullable=False),
    Column("club_id", Id, ForeignKey("clubs.id"), nullable=False, index=True),
    Column("user_type", _enum(UserType, "user_type"), nullable=False),
    Column("external_id", String(100)),
    *[_person_column(spec) for spec in PROSPECT_FIELDS],
    Column("inserted_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    # Two retries of one save race here: the loser's insert fails and it updates instead.
    UniqueConstraint("client_id", "external_id"),
)
# A person's columns but the ID, as the save use cases plan rows (``service_layer.planning``).
PERSON_COLUMNS: tuple[str, ...] = tuple(c.name for c in people.columns if c.name != "id")

user_type_history = Table(
    "user_type_history", metadata,
    Column("id", Id, primary_key=True),
    Column("person_id", Id, ForeignKey("people.id"), nullable=False, index=True),
    Column("from_type", _enum(UserType, "user_type")),
    Column("to_type", _enum(UserType, "user_type"), nullable=False),
    Column("changed_at", DateTime, nullable=False),
)

staff = Table(
    "staff", metadata,
    Column("id", Id, primary_key=True),
    Column("client_id", Id, ForeignKey("clients.id"), nullable=False),
    Column("email", String(254), nullable=False),
    Column("first_name", String(80), nullable=False),
    Column("last_name", String(80), nullable=False),
    Column("active", Boolean, nullable=False),
    Index("ix_staff_client_id_email", "client_id", "email"),
)

staff_clubs = Table(
    "staff_clubs", metadata,
    Column("staff_id", Id, ForeignKey("staff.id"), primary_key=True),
    Column("club_id", Id, ForeignKey("clubs.id"), primary_key=True),
)

lead_sources = Table(
    "lead_sources", metadata,
    Column("id", Id, primary_key=True),
    Column("client_id", Id, ForeignKey("clients.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("name_key", String(100), nullable=False),
    Column("external_id", String(100)),
    UniqueConstraint("client_id", "name_key"),
)

# Credentials of the WS-Security callers, and the replay cache every worker and host shares.
credentials = Table(
    "credentials", metadata,
    Column("id", Id, primary_key=True),
    Column("client_id", Id, ForeignKey("clients.id"), nullable=False, index=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("all_clubs", Boolean, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("last_used_at", DateTime),
    Column("revoked_at", DateTime),
    Column("secret_hash", String(200), nullable=False),
    Column("secret_sealed", LargeBinary, nullable=False),
    Column("previous_hash", String(200)),
    Column("previous_sealed", LargeBinary),
    Column("previous_valid_until", DateTime),
    Column("version", Integer, nullable=False),
    Column("failures", Integer, nullable=False),
    Column("locked_until", DateTime),
)

credential_clubs = Table(
    "credential_clubs", metadata,
    Column("credential_id", Id, ForeignKey("credentials.id"), primary_key=True),
    Column("club_id", Id, ForeignKey("clubs.id"), primary_key=True),
)

# key: hex SHA-256 of (username, nonce); nothing about the message itself is kept.
seen_nonces = Table(
    "seen_nonces", metadata,
    Column("key", String(64), primary_key=True),
    Column("expires_at", DateTime, nullable=False, index=True),
)

_mapped = False


def start_mappers() -> None:
    """Map the domain classes once per process (idempotent)."""
    global _mapped
    if _mapped:
        return
    mapper_registry.map_imperatively(Client, clients)
    club_mapper = mapper_registry.map_imperatively(Club, clubs)
    mapper_registry.map_imperatively(UserTypeChange, user_type_history)
    mapper_registry.map_imperatively(Person, people, properties={
        "type_history": relationship(UserTypeChange, order_by=user_type_history.c.id,
                                     cascade="all, delete-orphan", lazy="select"),
    })
    mapper_registry.map_imperatively(Staff, staff, properties={
        "clubs": relationship(club_mapper, secondary=staff_clubs, order_by=clubs.c.id,
                              lazy="selectin"),
    })
    mapper_registry.map_imperatively(LeadSource, lead_sources)
    mapper_registry.map_imperatively(Credential, credentials, properties={
        "clubs": relationship(club_mapper, secondary=credential_clubs, order_by=clubs.c.id,
                              lazy="selectin"),
    })
    _mapped = True

