"""Settings from the environment (``PARTNER_*``); see the README for every variable."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .adapters.db import default_sqlite_url


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("var")
    database_url: str = ""
    # The endpoint address written into the served WSDL; empty: taken from each request.
    public_url: str = ""
    max_body_bytes: int = 1024 * 1024
    operations: tuple[str, ...] | None = None
    extra: dict = field(default_factory=dict)

    def resolved_database_url(self) -> str:
        return self.database_url or default_sqlite_url(self.data_dir)

    @classmethod
    def from_env(cls, environ: dict | None = None) -> Settings:
        env = os.environ if environ is None else environ
        operations = env.get("PARTNER_OPERATIONS", "").strip()
        return cls(
            data_dir=Path(env.get("PARTNER_DATA_DIR", "var")),
            database_url=env.get("PARTNER_DATABASE_URL", ""),
            public_url=env.get("PARTNER_PUBLIC_URL", ""),
            max_body_bytes=int(env.get("PARTNER_MAX_BODY_BYTES", 1024 * 1024)),
            operations=tuple(o.strip() for o in operations.split(",") if o.strip()) or None,
        )
