"""HTTP underneath zeep: one keep-alive ``requests.Session`` per client, timeouts always set."""

from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter
from zeep.transports import Transport

from .settings import ConnectionSettings


def make_session(settings: ConnectionSettings) -> requests.Session:
    """A session that keeps connections alive and verifies TLS as configured.

    urllib3's own retries are off (``max_retries=0``): whether a call may be repeated
    depends on the operation, which only ``retry`` knows.
    """
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=2, pool_maxsize=4, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.verify = settings.tls_verify
    session.headers["User-Agent"] = "partner-client/1"
    return session


def make_transport(settings: ConnectionSettings, session: requests.Session) -> Transport:
    # zeep hands operation_timeout to requests unchanged, so the (connect, read) pair holds.
    return Transport(session=session, timeout=settings.timeout, operation_timeout=settings.timeout)


def get(session: requests.Session, settings: ConnectionSettings, url: str) -> requests.Response:
    """A plain GET (the partner's ``?wsdl``) under the same timeouts."""
    return session.get(url, timeout=settings.timeout)
