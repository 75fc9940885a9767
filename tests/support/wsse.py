"""WS-Security test helpers: credentials in a live app, hand-built envelopes, fault reading.

Hand-built envelopes let a test say exactly what a header contains (zeep and suds only
build well-formed tokens); ``post`` returns the HTTP status and the parsed answer.
"""

from __future__ import annotations

import base64
import os
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from cryptography.fernet import Fernet
from lxml import etree
from partner_service.adapters.secrets import SecretKeeper
from partner_service.app import create_app
from partner_service.config import Settings
from partner_service.domain.credentials import password_digest
from partner_service.domain.model import Person
from partner_service.service_layer import credentials
from sqlalchemy import func, select

from . import serve_in_thread

TNS = "urn:connector-partner:v1"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
PROFILE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
BASE64 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"


def fresh_key() -> str:
    return Fernet.generate_key().decode()


@dataclass
class Live:
    """A running app with the real authenticator, and what is needed to make credentials."""

    url: str
    keeper: SecretKeeper
    uow_factory: object

    def credential(self, client_id: int, club_ids=None, username=None) -> tuple[str, str]:
        issued = credentials.add_credential(self.uow_factory(), self.keeper, client_id, username, club_ids)
        return issued.credential.username, issued.password


@contextmanager
def live_secure_app(engine, uow_factory, tmp_path, **settings):
    # A cheap argon2 (1 MiB) keeps the tests fast; the rules do not depend on the cost.
    key = fresh_key()
    app = create_app(Settings(data_dir=tmp_path, secret_key=key, auth_hash_memory_kib=1024, **settings),
                     engine=engine)
    with serve_in_thread(app) as url:
        yield Live(url, SecretKeeper(key.encode(), PasswordHasher(memory_cost=1024)), uow_factory)


def utc_text(moment: datetime | None = None, zulu: bool = True, fraction: bool = False) -> str:
    moment = moment or datetime.now(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{moment.microsecond // 1000:03d}" if fraction else "")
    return text + ("Z" if zulu else "+00:00")


def token_xml(username: str, password: str, *, digest: bool = False, nonce: bytes | None = b"",
              created: str | None = "", password_type: str | None = "auto",  # noqa: S107
              extra: str = "") -> str:
    """A UsernameToken; ``nonce=b""``/``created=""`` mean fresh ones, ``None`` leaves them out."""
    nonce = os.urandom(16) if nonce == b"" else nonce
    created = utc_text() if created == "" else created
    if digest:  # left-out parts still make a digest, so only their absence is wrong
        password = password_digest(nonce or b"", created or "", password)
    kind = "PasswordDigest" if digest else "PasswordText"
    type_attr = f' Type="{PROFILE}#{kind}"' if password_type == "auto" else (
        "" if password_type is None else f' Type="{password_type}"')
    parts = [f"<wsse:Username>{username}</wsse:Username>",
             f"<wsse:Password{type_attr}>{password}</wsse:Password>"]
    if nonce is not None:
        parts.append(f'<wsse:Nonce EncodingType="{BASE64}">{base64.b64encode(nonce).decode()}</wsse:Nonce>')
    if created is not None:
        parts.append(f"<wsu:Created>{created}</wsu:Created>")
    return f"<wsse:UsernameToken>{''.join(parts)}{extra}</wsse:UsernameToken>"


def timestamp_xml(created: datetime, expires: datetime) -> str:
    return (f"<wsu:Timestamp><wsu:Created>{utc_text(created)}</wsu:Created>"
            f"<wsu:Expires>{utc_text(expires)}</wsu:Expires></wsu:Timestamp>")


def security_xml(*parts: str, must_understand: bool = True) -> str:
    attr = ' soap:mustUnderstand="1"' if must_understand else ""
    return f"<wsse:Security{attr}>{''.join(parts)}</wsse:Security>"


SAVE_PETE = ("<tns:SaveProspect><tns:ClubId>{club}</tns:ClubId><tns:Prospect>"
             "<tns:FirstName>Pete</tns:FirstName><tns:LastName>Refused</tns:LastName>"
             "</tns:Prospect></tns:SaveProspect>")
GET_LEAD_SOURCES = "<tns:GetLeadSources/>"


def envelope(body: str, *headers: str) -> bytes:
    header = f"<soap:Header>{''.join(headers)}</soap:Header>" if headers else ""
    return (f'<soap:Envelope xmlns:soap="{SOAP}" xmlns:tns="{TNS}" xmlns:wsse="{WSSE}" xmlns:wsu="{WSU}">'
            f"{header}<soap:Body>{body}</soap:Body></soap:Envelope>").encode()


@dataclass
class Answer:
    status: int
    xml: etree._Element

    @property
    def fault_code(self) -> str | None:
        code = self.xml.find(f".//{{{SOAP}}}Fault/faultcode")
        if code is None:
            return None
        prefix, _, local = code.text.partition(":")
        namespace = code.nsmap.get(prefix)
        return f"wsse:{local}" if namespace == WSSE else local

    @property
    def fault_string(self) -> str:
        return self.xml.findtext(f".//{{{SOAP}}}Fault/faultstring") or ""


def post(url: str, body: bytes) -> Answer:
    request = urllib.request.Request(f"{url}/soap", data=body,
                                     headers={"Content-Type": "text/xml; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return Answer(response.status, etree.fromstring(response.read()))
    except urllib.error.HTTPError as error:
        return Answer(error.code, etree.fromstring(error.read()))


def people_count(uow_factory) -> int:
    with uow_factory() as uow:
        return uow.session.scalar(select(func.count()).select_from(Person))


__all__ = ["Answer", "GET_LEAD_SOURCES", "Live", "SAVE_PETE", "envelope", "live_secure_app", "people_count",
           "post", "security_xml", "timestamp_xml", "token_xml", "utc_text"]
