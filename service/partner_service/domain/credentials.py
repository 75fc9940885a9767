"""Credentials of the Connector and the rules of the WS-Security UsernameToken.

A credential belongs to one client and may be limited to some of its clubs. It holds
two secrets while a rotation's grace period lasts. Secrets arrive here only as opaque
``SecretRecord``s (a slow hash for PasswordText, a sealed copy for PasswordDigest),
sealed and hashed by ``adapters.secrets``: this module does no I/O and no crypto but SHA-1,
which the UsernameToken profile itself prescribes.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from .errors import SecurityRefused
from .model import Club, Principal

TEXT = "text"
DIGEST = "digest"

# One message says every "who are you" failure, so unknown user and wrong password look alike.
FAILED = "The security token could not be authenticated."


@dataclass(frozen=True)
class AuthPolicy:
    """The settable numbers of authentication (``PARTNER_AUTH_*``, see the README)."""

    max_age: int = 300            # Created (the token's and the Timestamp's) at most this many
    max_skew: int = 60            # seconds in the past, and this many in the future.
    cache_seconds: float = 5.0    # a credential row is re-read at least this often (revocation bound)
    rotation_grace_seconds: int = 86400  # default life of the previous secret after a rotation


@dataclass(frozen=True)
class UsernameToken:
    """What a wsse:Security header said, parsed but not yet believed."""

    username: str
    password: str
    password_type: str                # TEXT or DIGEST
    nonce: bytes | None = None
    created_text: str | None = None   # exactly as sent: the digest covers these characters
    created: datetime | None = None   # naive UTC
    expires: datetime | None = None   # wsu:Timestamp/wsu:Expires, naive UTC
    timestamp_created: datetime | None = None


def password_digest(nonce: bytes, created_text: str, password: str) -> str:
    """UsernameToken Profile 1.1: Base64(SHA-1(nonce + created + password))."""
    sha = hashlib.sha1(nonce + created_text.encode("utf-8") + password.encode("utf-8"),
                       usedforsecurity=False)
    return base64.b64encode(sha.digest()).decode("ascii")


def check_freshness(token: UsernameToken, now: datetime, policy: AuthPolicy) -> None:
    """Created (the token's and the Timestamp's) within the window, Timestamp not expired; else
    ``MessageExpired``. A Timestamp that expires late does not make an old message fresh."""
    skew, age = timedelta(seconds=policy.max_skew), timedelta(seconds=policy.max_age)
    if token.created is not None:
        if token.created > now + skew:
            raise SecurityRefused("MessageExpired", "wsu:Created lies in the future; check the clock.")
        if token.created < now - age:
            raise SecurityRefused("MessageExpired",
                                  f"wsu:Created is older than {policy.max_age} seconds.")
    if token.timestamp_created is not None and token.timestamp_created > now + skew:
        raise SecurityRefused("MessageExpired", "wsu:Timestamp/wsu:Created lies in the future.")
    if token.timestamp_created is not None and token.timestamp_created < now - age:
        raise SecurityRefused("MessageExpired",
                              f"wsu:Timestamp/wsu:Created is older than {policy.max_age} seconds.")
    if token.expires is not None and token.expires <= now:
        raise SecurityRefused("MessageExpired", "wsu:Timestamp has expired.")


def replay_window_end(token: UsernameToken, now: datetime, policy: AuthPolicy) -> datetime:
    """How long a nonce must be remembered: while a message carrying it could still be fresh."""
    return max(token.created or now, now) + timedelta(seconds=policy.max_age)


@dataclass(frozen=True)
class SecretRecord:
    """One secret as stored: ``hashed`` checks PasswordText, ``sealed`` recovers it for digests."""

    hashed: str
    sealed: bytes


class Credential:
    """A username and its secrets, for one client and all or some of its clubs."""

    def __init__(self, client_id: int, username: str, secret: SecretRecord, now: datetime,
                 clubs: list[Club] | None = None):
        if not username or len(username) > 100 or username != username.strip():
            raise ValueError("a username is 1 to 100 characters without surrounding blanks")
        self.id: int | None = None
        self.client_id = client_id
        self.username = username
        self.all_clubs = clubs is None
        self.clubs: list[Club] = list(clubs or [])
        self.active = True
        self.created_at = now
        self.last_used_at: datetime | None = None
        self.revoked_at: datetime | None = None
        self.secret_hash = secret.hashed
        self.secret_sealed = secret.sealed
        self.previous_hash: str | None = None
        self.previous_sealed: bytes | None = None
        self.previous_valid_until: datetime | None = None
        # Bumped whenever the secrets or the state change, so cached verifications die with it.
        self.version = 1
        # Written by earlier versions' username lockout; only cleared now (by a success).
        self.failures = 0
        self.locked_until: datetime | None = None

    @property
    def club_ids(self) -> frozenset[int] | None:
        return None if self.all_clubs else frozenset(club.id for club in self.clubs)

    def principal(self) -> Principal:
        return Principal(self.client_id, self.club_ids, self.id, self.username)

    def secrets(self, now: datetime) -> list[tuple[str, SecretRecord]]:
        """The secrets that open this credential now: the current one, and the previous in grace."""
        valid = [("current", SecretRecord(self.secret_hash, self.secret_sealed))]
        if self.previous_hash and self.previous_valid_until and now < self.previous_valid_until:
            valid.append(("previous", SecretRecord(self.previous_hash, self.previous_sealed)))
        return valid

    def rotate(self, secret: SecretRecord, now: datetime, grace: timedelta) -> None:
        self.previous_hash, self.previous_sealed = self.secret_hash, self.secret_sealed
        self.previous_valid_until = now + grace
        self.secret_hash, self.secret_sealed = secret.hashed, secret.sealed
        self.version += 1

    def revoke(self, now: datetime) -> None:
        if self.active:
            self.active = False
            self.revoked_at = now
            self.version += 1

    def checks_alike(self, other: Credential | None) -> bool:
        """Whether ``other``, this row read again, answers every password check as this does:
        the same secrets and state (``version``) and the same lock."""
        return other is not None and (self.id, self.version, self.locked_until) == (
            other.id, other.version, other.locked_until)

    def register_success(self, now: datetime) -> None:
        self.failures = 0
        self.locked_until = None
        self.last_used_at = now

    def needs_bookkeeping(self, now: datetime) -> bool:
        """Whether a success must be written: failures to forget, or last_used_at a minute old."""
        return (self.failures > 0 or self.locked_until is not None or self.last_used_at is None
                or now - self.last_used_at >= timedelta(seconds=60))


__all__ = ["AuthPolicy", "Credential", "DIGEST", "FAILED", "SecretRecord", "TEXT", "UsernameToken",
           "check_freshness", "password_digest", "replay_window_end"]
