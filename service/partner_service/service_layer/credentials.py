"""Operator tasks on credentials: add, list, revoke, rotate; turn-up and the demo tenant.

A password is generated here and returned once (to be shown once); afterwards only its
argon2 hash and its sealed copy exist.
"""

from __future__ import annotations

import json
import secrets as random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ..domain.credentials import DIGEST, TEXT, Credential, SecretRecord
from ..domain.errors import Conflict, NotFound, ValidationError
from ..domain.model import Principal
from . import lead_sources, tenants
from .auth import Secrets
from .unit_of_work import UnitOfWork


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def new_password() -> str:
    """192 random bits, URL-safe: fits TOML, XML and every SOAP stack's config unescaped."""
    return random.token_urlsafe(24)


@dataclass(frozen=True)
class CredentialView:
    id: int
    client_id: int
    username: str
    club_ids: tuple[int, ...] | None   # None: every club of the client
    active: bool
    created_at: datetime
    last_used_at: datetime | None
    previous_valid_until: datetime | None
    locked_until: datetime | None


@dataclass(frozen=True)
class IssuedSecret:
    """A credential and its password, which exists only in this object: show it once."""

    credential: CredentialView
    password: str


def _view(c: Credential) -> CredentialView:
    clubs = None if c.all_clubs else tuple(sorted(club.id for club in c.clubs))
    return CredentialView(c.id, c.client_id, c.username, clubs, c.active, c.created_at, c.last_used_at,
                          c.previous_valid_until, c.locked_until)


def add_credential(uow: UnitOfWork, secrets: Secrets, client_id: int, username: str | None = None,
                   club_ids: list[int] | None = None, password: str | None = None) -> IssuedSecret:
    password = password or new_password()
    record = secrets.seal(password)  # before the transaction: argon2 is slow
    with uow:
        clubs = uow.clubs.for_client(client_id)
        if not clubs:
            raise NotFound(f"No client {client_id} with clubs exists.")
        chosen = None
        if club_ids:
            unknown = set(club_ids) - {c.id for c in clubs}
            if unknown:
                raise ValidationError("clubs", f"Clubs {sorted(unknown)} are not clubs of client {client_id}.")
            chosen = [c for c in clubs if c.id in set(club_ids)]
        username = (username or f"client{client_id}-{random.token_hex(4)}").strip()
        if not 1 <= len(username) <= 100 or any(ch.isspace() or not ch.isprintable() for ch in username):
            raise ValidationError("username", "A username is 1 to 100 printable characters without blanks.")
        if uow.credentials.by_username(username) is not None:
            raise ValidationError("username", f"The username {username} is taken.")
        credential = Credential(client_id, username, record, utcnow(), chosen)
        uow.credentials.add(credential)
        uow.flush()
        view = _view(credential)
        uow.commit()
    return IssuedSecret(view, password)


def list_credentials(uow: UnitOfWork, client_id: int | None = None) -> list[CredentialView]:
    with uow:
        return [_view(c) for c in uow.credentials.for_client(client_id)]


def _find(uow: UnitOfWork, username: str) -> Credential:
    credential = uow.credentials.by_username(username)
    if credential is None:
        raise NotFound(f"No credential has the username {username}.")
    return credential


def revoke_credential(uow: UnitOfWork, username: str) -> CredentialView:
    with uow:
        credential = _find(uow, username)
        credential.revoke(utcnow())
        view = _view(credential)
        uow.commit()
        return view


def rotate_credential(uow: UnitOfWork, secrets: Secrets, username: str, grace_seconds: int) -> IssuedSecret:
    """A new password; the old one keeps working for ``grace_seconds`` (0: not at all)."""
    password = new_password()
    record = secrets.seal(password)
    with uow:
        credential = _find(uow, username)
        if not credential.active:
            raise ValidationError("username", f"The credential {username} is revoked; add a new one.")
        credential.rotate(record, utcnow(), timedelta(seconds=grace_seconds))
        view = _view(credential)
        uow.commit()
    return IssuedSecret(view, password)


# --- the turn-up sheet (contract: "Turn-up sheet and command line") --------------------------


@dataclass(frozen=True)
class TurnupSheet:
    client_id: int
    club_ids: tuple[int, ...]
    url: str
    username: str
    password: str
    password_type: str = DIGEST
    options: dict = field(default_factory=dict)

    @property
    def scheme(self) -> str:
        return self.url.split(":", 1)[0].lower()

    def to_toml(self) -> str:
        # JSON strings and integer lists are valid TOML values; no TOML writer needed.
        lines = [f"client_id = {self.client_id}",
                 f"club_ids = [{', '.join(str(c) for c in self.club_ids)}]",
                 *(f"{name} = {json.dumps(getattr(self, name))}"
                   for name in ("url", "scheme", "username", "password", "password_type")),
                 "", "[options]",
                 *(f"{json.dumps(str(k))} = {json.dumps(v)}" for k, v in sorted(self.options.items()))]
        return "\n".join(lines) + "\n"


def _checked_type(password_type: str) -> str:
    if password_type not in (DIGEST, TEXT):
        raise ValidationError("password_type", "password_type is digest or text.")
    return password_type


def turnup(uow: UnitOfWork, secrets: Secrets, client_name: str, club_count: int, url: str,
           password_type: str = DIGEST) -> TurnupSheet:
    """A new client with its clubs and one credential for all of them."""
    _checked_type(password_type)
    if not url.startswith(("https://", "http://")):
        raise ValidationError("url", "The URL is the SOAP endpoint, https://HOST[:PORT]/soap.")
    try:
        client = tenants.create_client(uow, client_name, club_count)
    except Conflict:
        raise ValidationError("client", f"A client named {client_name.strip()} exists already.") from None
    issued = add_credential(uow, secrets, client.id)
    return TurnupSheet(client.id, client.club_ids, url, issued.credential.username, issued.password,
                       password_type)


DEMO_CLIENT = "Demo Fitness"
DEMO_USERNAME = "demo"


def ensure_demo_tenant(uow: UnitOfWork, secrets: Secrets, url: str, password_type: str = DIGEST) -> TurnupSheet:
    """For ``serve --dev``: a demo client (1 club, 2 staff, 1 lead source) and its credential,
    created on the first start and reused later (its password recovered from the sealed copy)."""
    _checked_type(password_type)
    with uow:
        credential = uow.credentials.by_username(DEMO_USERNAME)
        found = (credential.client_id, credential.secret_hash, credential.secret_sealed) if credential else None
    if found is None:
        client = tenants.create_client(uow, DEMO_CLIENT, 1)
        for email, first, last in (("ada.coach@demo.example", "Ada", "Coach"),
                                   ("ben.desk@demo.example", "Ben", "Desk")):
            tenants.add_staff(uow, client.id, email, first, last)
        lead_sources.save_lead_source(uow, Principal(client.id), None, "Walk-in")
        issued = add_credential(uow, secrets, client.id, DEMO_USERNAME)
        return TurnupSheet(client.id, client.club_ids, url, DEMO_USERNAME, issued.password, password_type)
    client_id, hashed, sealed = found
    with uow:
        club_ids = tuple(c.id for c in uow.clubs.for_client(client_id))
    return TurnupSheet(client_id, club_ids, url, DEMO_USERNAME, secrets.unseal(SecretRecord(hashed, sealed)),
                       password_type)
