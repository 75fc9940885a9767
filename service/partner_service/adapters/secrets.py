"""Keeping credential secrets: an argon2 hash for PasswordText, a sealed copy for digests.

PasswordDigest needs the password itself on the server, so it is stored encrypted
(Fernet: AES-128-CBC + HMAC-SHA256) with a server key that never enters the database.
The key comes from, in order:
1. ``PARTNER_SECRET_KEY``: a Fernet key (32 url-safe base64 bytes), e.g. from a secret store;
2. ``PARTNER_SECRET_KEY_FILE``: a file holding such a key;
3. ``$PARTNER_DATA_DIR/secret.key``: created on first use (mode 0600) for the embedded default.
Losing the key makes every stored secret unusable: rotate every credential afterwards.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets as random
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken

from ..domain.credentials import SecretRecord

KEY_FILE_NAME = "secret.key"


class SecretKeyError(RuntimeError):
    """The server key is missing or unreadable; the message says which source was tried."""


def load_key(key: str = "", key_file: str = "", data_dir: Path | None = None) -> bytes:
    if key:
        return _checked(key.strip().encode(), "PARTNER_SECRET_KEY")
    if key_file:
        try:
            return _checked(Path(key_file).read_bytes().strip(), key_file)
        except OSError as error:
            raise SecretKeyError(f"cannot read PARTNER_SECRET_KEY_FILE {key_file}: {error.strerror}") from None
    path = Path(data_dir or "var") / KEY_FILE_NAME
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: use theirs
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(Fernet.generate_key() + b"\n")
    return _checked(path.read_bytes().strip(), str(path))


def _checked(key: bytes, source: str) -> bytes:
    try:
        Fernet(key)
    except ValueError:
        raise SecretKeyError(f"the key from {source} is not a Fernet key (32 url-safe base64 bytes)") from None
    return key


_UNSEALED_MAX = 1024


class SecretKeeper:
    """Makes ``SecretRecord``s from passwords and checks passwords against them."""

    def __init__(self, key: bytes, hasher: PasswordHasher | None = None):
        self._fernet = Fernet(key)
        self._hasher = hasher or PasswordHasher()
        # A real hash of a random password: unknown users cost what known ones cost.
        self._dummy_hash = self._hasher.hash(random.token_urlsafe(24))
        self._dummy_secret = random.token_urlsafe(24)
        # Keys the verification cache; fresh per process so a cache key means nothing elsewhere.
        self._cache_key = random.token_bytes(32)
        self._unsealed: dict[bytes, str] = {}

    def seal(self, password: str) -> SecretRecord:
        return SecretRecord(self._hasher.hash(password), self._fernet.encrypt(password.encode("utf-8")))

    def unseal(self, record: SecretRecord) -> str:
        # Every PasswordDigest check needs the secret; decrypting it each time cost more than
        # the rest of the check. Held as long as the key is: in this process's memory.
        secret = self._unsealed.get(record.sealed)
        if secret is None:
            try:
                secret = self._fernet.decrypt(record.sealed).decode("utf-8")
            except InvalidToken:
                raise SecretKeyError("a stored secret does not open with this server key") from None
            if len(self._unsealed) >= _UNSEALED_MAX:
                self._unsealed.clear()
            self._unsealed[record.sealed] = secret
        return secret

    def verify_text(self, record: SecretRecord | None, password: str) -> bool:
        try:
            return self._hasher.verify(record.hashed if record else self._dummy_hash, password) and bool(record)
        except (VerificationError, InvalidHashError):
            return False

    @property
    def dummy_secret(self) -> str:
        return self._dummy_secret

    def cache_key(self, *parts: str) -> bytes:
        """A keyed hash of what identifies a verification; never the password itself."""
        return hmac.new(self._cache_key, "\0".join(parts).encode("utf-8"), hashlib.sha256).digest()


__all__ = ["SecretKeeper", "SecretKeyError", "load_key"]
