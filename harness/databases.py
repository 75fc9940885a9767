"""Databases and stand-ins shared by the tests, the benchmarks and the tools.

Purpose: a fresh PostgreSQL database per use (``postgres_database``), the loopback Redis of
the optional replay cache, and ``UsernameOnly``, the authentication stand-in of the test app
factory (``harness.gunicorn_app``). Contract: nothing here is imported by the service.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

import psycopg
from partner_service.domain.errors import SecurityRefused
from partner_service.domain.model import Principal
from sqlalchemy.engine import make_url

PG_ADMIN_URL = os.environ.get("PARTNER_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
# Tests that use Redis (the optional replay cache) keep to a random key prefix of their own.
REDIS_URL = os.environ.get("PARTNER_TEST_REDIS", "redis://127.0.0.1:6379/0")
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"


@contextmanager
def postgres_database(admin_url: str = PG_ADMIN_URL, prefix: str = "partner_test"):
    """A fresh PostgreSQL database (tests, benchmarks), dropped afterwards; yields its URL."""
    admin = make_url(admin_url)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class UsernameOnly:
    """Stands in for WS-Security where a test is about something else: the UsernameToken's
    Username picks the principal; no password is checked."""

    def __init__(self, principals: dict[str, Principal]):
        self.principals = principals

    def open(self, header):
        """As ``HeaderAuthenticator.open``: no nonce to record; a token it refuses raises."""
        return self(header), None

    def __call__(self, header) -> Principal:
        for element in header:
            for username in element.iter(f"{{{WSSE}}}Username"):
                principal = self.principals.get((username.text or "").strip())
                if principal is not None:
                    return principal
                raise SecurityRefused("FailedAuthentication", "The security token could not be authenticated.")
        raise SecurityRefused("InvalidSecurity", "A wsse:Security header is required.")


__all__ = ["PG_ADMIN_URL", "REDIS_URL", "WSSE", "UsernameOnly", "postgres_database"]
