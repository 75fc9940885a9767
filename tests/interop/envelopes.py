"""Requests exactly as stacks we cannot run here write them: .NET WCF and Java CXF/WSS4J.

The header shapes (prefixes, ``Id`` attributes, a ``wsu:Timestamp`` first, ``mustUnderstand``,
milliseconds in ``Created``, a default-namespace body) are what those stacks put on the
wire; docs/interop.md shows the same envelopes.
"""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape

WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
PROFILE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
BASE64 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
TNS = "urn:connector-partner:v1"


def _millis(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def password_digest(nonce: bytes, created: str, password: str) -> str:
    """UsernameToken Profile 1.1: Base64(SHA-1(nonce bytes + Created as sent + password))."""
    sha1 = hashlib.sha1(nonce + created.encode() + password.encode(), usedforsecurity=False)
    return base64.b64encode(sha1.digest()).decode()


def wcf_text(username: str, password: str, email: str) -> str:
    """WCF ``BasicHttpBinding`` with ``TransportWithMessageCredential`` / ``UserName``:
    a Timestamp, then a text password without Nonce or Created; XmlSerializer body."""
    now = datetime.now(UTC)
    return (
        f'<s:Envelope xmlns:s="{SOAP}" xmlns:u="{WSU}"><s:Header>'
        f'<o:Security s:mustUnderstand="1" xmlns:o="{WSSE}">'
        f'<u:Timestamp u:Id="_0"><u:Created>{_millis(now)}</u:Created>'
        f"<u:Expires>{_millis(now + timedelta(minutes=5))}</u:Expires></u:Timestamp>"
        f'<o:UsernameToken u:Id="uuid-{uuid.uuid4()}-1"><o:Username>{escape(username)}</o:Username>'
        f'<o:Password Type="{PROFILE}#PasswordText">{escape(password)}</o:Password></o:UsernameToken>'
        "</o:Security></s:Header>"
        '<s:Body xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
        f'<GetStaffByEmail xmlns="{TNS}"><Email>{escape(email)}</Email></GetStaffByEmail>'
        "</s:Body></s:Envelope>")


def wss4j_digest(username: str, password: str, email: str) -> str:
    """CXF's ``WSS4JOutInterceptor`` (action UsernameToken, PasswordDigest) over a JAXB body."""
    nonce = os.urandom(16)
    created = _millis(datetime.now(UTC))
    return (
        f'<soap:Envelope xmlns:soap="{SOAP}"><soap:Header>'
        f'<wsse:Security xmlns:wsse="{WSSE}" xmlns:wsu="{WSU}" soap:mustUnderstand="1">'
        f'<wsse:UsernameToken wsu:Id="UsernameToken-{uuid.uuid4()}">'
        f"<wsse:Username>{escape(username)}</wsse:Username>"
        f'<wsse:Password Type="{PROFILE}#PasswordDigest">{password_digest(nonce, created, password)}'
        "</wsse:Password>"
        f'<wsse:Nonce EncodingType="{BASE64}">{base64.b64encode(nonce).decode()}</wsse:Nonce>'
        f"<wsu:Created>{created}</wsu:Created></wsse:UsernameToken></wsse:Security></soap:Header>"
        f'<soap:Body><ns2:GetStaffByEmail xmlns:ns2="{TNS}"><ns2:Email>{escape(email)}</ns2:Email>'
        "</ns2:GetStaffByEmail></soap:Body></soap:Envelope>")


SHAPES = {"wcf-text": wcf_text, "wss4j-digest": wss4j_digest}
