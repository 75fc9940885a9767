"""HTTP underneath zeep: one keep-alive ``requests.Session`` per client, timeouts always set."""

from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter
from zeep.transports import Transport

from .settings import ConnectionSettings


class _PinnedVerify(HTTPAdapter):
    """Verifies TLS exactly as configured.

    requests lets ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` replace a session's ``verify``
    on every request (psf/requests#3829), so the turn-up sheet's CA bundle would be
    silently ignored on hosts that set them; the adapter has the last word instead.
    """

    def __init__(self, verify: bool | str, **kwargs):
        super().__init__(**kwargs)
        self.pinned_verify = verify

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        return super().send(request, stream=stream, timeout=timeout, verify=self.pinned_verify, cert=cert,
                            proxies=proxies)


def make_session(settings: ConnectionSettings) -> requests.Session:
    """A session that keeps connections alive and verifies TLS as configured.

    urllib3's own retries are off (``max_retries=0``): whether a call may be repeated
    depends on the operation, which only ``retry`` knows.
    """
    session = requests.Session()
    adapter = _PinnedVerify(settings.tls_verify, pool_connections=2, pool_maxsize=4, max_retries=0)
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
