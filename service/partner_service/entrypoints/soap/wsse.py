"""Reading the wsse:Security header (OASIS UsernameToken Profile 1.1), strictly.

As strict as Apache WSS4J by default: one Security header, one UsernameToken with one
Username and one Password of a known Type, at most one Nonce (Base64Binary) and one
Created, digest only with both; an optional wsu:Timestamp. Anything else in the header is
``wsse:InvalidSecurity``; a header element we do not understand that says
``mustUnderstand="1"`` is the SOAP ``MustUnderstand`` fault. Messages name the element at
fault, never its value.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from datetime import UTC, datetime

from ...domain.credentials import DIGEST, TEXT, UsernameToken
from ...domain.errors import SecurityRefused
from ...domain.model import Principal
from .faults import client_fault
from .namespaces import SOAP11_ENV, WSSE, WSU

_PROFILE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
PASSWORD_TYPES = {f"{_PROFILE}#PasswordText": TEXT, f"{_PROFILE}#PasswordDigest": DIGEST}
BASE64_BINARY = ("http://docs.oasis-open.org/wss/2004/01/"
                 "oasis-200401-wss-soap-message-security-1.0#Base64Binary")
_MUST_UNDERSTAND = f"{{{SOAP11_ENV}}}mustUnderstand"
# xsd:dateTime in UTC only: Z or +00:00, with or without fractions.
_UTC_TIME = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,9})?(Z|\+00:00)")
_MAX_NONCE_BYTES = 256


def _invalid(message: str) -> SecurityRefused:
    return SecurityRefused("InvalidSecurity", message)


def _local(tag) -> str:
    return tag.split("}", 1)[-1] if isinstance(tag, str) else "?"


def _children(parent, allowed: dict[str, int], where: str) -> dict[str, list]:
    """Child elements by tag; an unknown one, or one too many, is InvalidSecurity."""
    found: dict[str, list] = {tag: [] for tag in allowed}
    for child in parent:
        if not isinstance(child.tag, str):
            continue  # comments and processing instructions carry nothing
        if child.tag not in allowed:
            raise _invalid(f"{where} must not contain {_local(child.tag)}; only "
                           f"{', '.join(_local(t) for t in allowed)} are supported.")
        found[child.tag].append(child)
        if len(found[child.tag]) > allowed[child.tag]:
            raise _invalid(f"{where} must contain at most one {_local(child.tag)}.")
    return found


def _text(element, name: str) -> str:
    if len(element):
        raise _invalid(f"{name} must hold text only.")
    return (element.text or "").strip()


def parse_utc(text: str, name: str) -> datetime:
    match = _UTC_TIME.fullmatch(text)
    if not match:
        raise _invalid(f"{name} must be a UTC xsd:dateTime ending in Z or +00:00.")
    fraction = (match.group(2) or ".0")[1:7].ljust(6, "0")
    try:
        moment = datetime.fromisoformat(match.group(1))  # the pattern leaves only that one format
    except ValueError:
        raise _invalid(f"{name} is not a valid date and time.") from None
    return moment.replace(microsecond=int(fraction))


def _must_understand(element) -> bool:
    return (element.get(_MUST_UNDERSTAND) or "0").strip() in ("1", "true")


def security_header(header: list):
    """The one wsse:Security element; refuses headers we must but cannot understand."""
    found = []
    for element in header:
        if not isinstance(element.tag, str):
            continue
        if element.tag == f"{{{WSSE}}}Security":
            found.append(element)
        elif _must_understand(element):
            raise client_fault("MustUnderstand",
                               f"The header {_local(element.tag)} is marked mustUnderstand and this "
                               "service does not understand it.")
    if not found:
        raise _invalid("A wsse:Security header with a UsernameToken is required.")
    if len(found) > 1:
        raise _invalid("Exactly one wsse:Security header is allowed.")
    return found[0]


def _nonce(element) -> bytes:
    encoding = element.get("EncodingType")
    if encoding not in (None, BASE64_BINARY):
        raise _invalid("wsse:Nonce must have EncodingType Base64Binary.")
    text = "".join(_text(element, "wsse:Nonce").split())
    try:
        nonce = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid("wsse:Nonce is not valid base64.") from None
    if not 8 <= len(nonce) <= _MAX_NONCE_BYTES:
        raise _invalid(f"wsse:Nonce must be 8 to {_MAX_NONCE_BYTES} bytes.")
    return nonce


def _timestamp(element) -> tuple[datetime | None, datetime | None]:
    parts = _children(element, {f"{{{WSU}}}Created": 1, f"{{{WSU}}}Expires": 1}, "wsu:Timestamp")
    created = [parse_utc(_text(e, "wsu:Created"), "wsu:Timestamp/wsu:Created")
               for e in parts[f"{{{WSU}}}Created"]]
    expires = [parse_utc(_text(e, "wsu:Expires"), "wsu:Timestamp/wsu:Expires")
               for e in parts[f"{{{WSU}}}Expires"]]
    if created and expires and expires[0] <= created[0]:
        raise _invalid("wsu:Timestamp expires before it was created.")
    return (created or [None])[0], (expires or [None])[0]


def parse_security(header: list) -> UsernameToken:
    """The UsernameToken of a SOAP header (a list of header elements), or SecurityRefused."""
    security = security_header(header)
    parts = _children(security, {f"{{{WSSE}}}UsernameToken": 1, f"{{{WSU}}}Timestamp": 1}, "wsse:Security")
    if not parts[f"{{{WSSE}}}UsernameToken"]:
        raise _invalid("wsse:Security must contain a wsse:UsernameToken.")
    token = _children(parts[f"{{{WSSE}}}UsernameToken"][0],
                      {f"{{{WSSE}}}Username": 1, f"{{{WSSE}}}Password": 1, f"{{{WSSE}}}Nonce": 1,
                       f"{{{WSU}}}Created": 1}, "wsse:UsernameToken")
    if not token[f"{{{WSSE}}}Username"] or not token[f"{{{WSSE}}}Password"]:
        raise _invalid("wsse:UsernameToken needs one wsse:Username and one wsse:Password.")
    username = _text(token[f"{{{WSSE}}}Username"][0], "wsse:Username")
    if not 1 <= len(username) <= 100:
        raise _invalid("wsse:Username must be 1 to 100 characters.")
    password_element = token[f"{{{WSSE}}}Password"][0]
    password_type = PASSWORD_TYPES.get(password_element.get("Type") or f"{_PROFILE}#PasswordText")
    if password_type is None:
        raise _invalid("wsse:Password Type must be PasswordText or PasswordDigest.")
    if len(password_element):
        raise _invalid("wsse:Password must hold text only.")
    password = password_element.text or ""
    if not password or len(password) > 1024:
        raise _invalid("wsse:Password must be 1 to 1024 characters.")
    nonce = _nonce(token[f"{{{WSSE}}}Nonce"][0]) if token[f"{{{WSSE}}}Nonce"] else None
    created_text = _text(token[f"{{{WSU}}}Created"][0], "wsu:Created") if token[f"{{{WSU}}}Created"] else None
    created = parse_utc(created_text, "wsu:Created") if created_text is not None else None
    if password_type == DIGEST and (nonce is None or created is None):
        raise _invalid("A PasswordDigest needs a wsse:Nonce and a wsu:Created.")
    if nonce is not None and created is None:
        raise _invalid("A wsse:Nonce needs a wsu:Created, which bounds how long it is remembered.")
    stamp_created, expires = (_timestamp(parts[f"{{{WSU}}}Timestamp"][0])
                              if parts[f"{{{WSU}}}Timestamp"] else (None, None))
    return UsernameToken(username=username, password=password, password_type=password_type,
                         nonce=nonce, created_text=created_text, created=created,
                         expires=expires, timestamp_created=stamp_created)


class HeaderAuthenticator:
    """The protocol's hook (header elements -> Principal) over ``service_layer.auth.Authenticator``.

    ``open`` is the same check without the writes of a token that opens: ``(principal,
    nonce)``, where the ``NonceRecord`` does them (the nonce) with the caller's save. A token
    that does not open is refused there as by the hook (``SecurityRefused``, its failure
    counted), after one password check.
    """

    def __init__(self, authenticator, uow_factory: Callable[[], object],
                 clock: Callable[[], datetime] | None = None):
        self.authenticator = authenticator
        self.uow_factory = uow_factory
        self.clock = clock or (lambda: datetime.now(UTC).replace(tzinfo=None))

    def __call__(self, header: list) -> Principal:
        return self.authenticator.authenticate(self.uow_factory(), parse_security(header), self.clock())

    def open(self, header: list) -> tuple[Principal, object]:
        token, now = parse_security(header), self.clock()
        credential = self.authenticator.check(self.uow_factory(), token, now)
        return credential.principal(), self.authenticator.nonce_record(credential, token, now)


__all__ = ["BASE64_BINARY", "PASSWORD_TYPES", "HeaderAuthenticator", "parse_security", "parse_utc"]
