"""Parsing the wsse:Security header: what is accepted, and which refusal each mistake gets."""

from __future__ import annotations

import base64
from datetime import datetime

import pytest
from lxml import etree
from partner_service.domain.credentials import DIGEST, TEXT
from partner_service.domain.errors import SecurityRefused
from partner_service.entrypoints.soap.wsse import BASE64_BINARY, parse_security, parse_utc
from spyne.model.fault import Fault

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
PROFILE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
NONCE = base64.b64encode(b"0123456789abcdef").decode()
CREATED = "2026-11-28T10:00:00Z"


def header(xml: str) -> list:
    root = etree.fromstring(f'<soap:Header xmlns:soap="{SOAP}" xmlns:wsse="{WSSE}" xmlns:wsu="{WSU}" '
                            f'xmlns:x="urn:x">{xml}</soap:Header>')
    return list(root)


def token(password='<wsse:Password Type="{p}#PasswordText">secret</wsse:Password>',  # noqa: S107
          nonce=f"<wsse:Nonce EncodingType=\"{BASE64_BINARY}\">{NONCE}</wsse:Nonce>",
          created=f"<wsu:Created>{CREATED}</wsu:Created>", username="<wsse:Username>acme</wsse:Username>",
          extra="") -> str:
    parts = f"{username}{password.format(p=PROFILE)}{nonce}{created}{extra}"
    return f"<wsse:UsernameToken>{parts}</wsse:UsernameToken>"


def security(*parts, attrs=' soap:mustUnderstand="1"') -> str:
    return f"<wsse:Security{attrs}>{''.join(parts)}</wsse:Security>"


def refused(xml: str) -> SecurityRefused:
    with pytest.raises(SecurityRefused) as caught:
        parse_security(header(xml))
    assert "secret" not in caught.value.message
    return caught.value


def test_a_full_text_token_is_read():
    parsed = parse_security(header(security(token())))
    assert (parsed.username, parsed.password, parsed.password_type) == ("acme", "secret", TEXT)
    assert parsed.nonce == b"0123456789abcdef"
    assert (parsed.created_text, parsed.created) == (CREATED, datetime(2026, 11, 28, 10, 0, 0))


def test_a_digest_token_keeps_created_exactly_as_sent():
    created = "2026-11-28T10:00:00.123+00:00"
    parsed = parse_security(header(security(token(
        password='<wsse:Password Type="{p}#PasswordDigest">abc=</wsse:Password>',
        created=f"<wsu:Created>{created}</wsu:Created>"))))
    assert (parsed.password_type, parsed.created_text) == (DIGEST, created)
    assert parsed.created == datetime(2026, 11, 28, 10, 0, 0, 123000)


def test_password_without_type_and_token_without_nonce_or_created_is_plain_text():
    parsed = parse_security(header(security(token(password="<wsse:Password>secret</wsse:Password>",
                                                  nonce="", created=""))))
    assert (parsed.password_type, parsed.nonce, parsed.created) == (TEXT, None, None)


def test_nonce_without_encoding_type_is_base64_as_suds_sends_it():
    parsed = parse_security(header(security(token(nonce=f"<wsse:Nonce>{NONCE}</wsse:Nonce>"))))
    assert parsed.nonce == b"0123456789abcdef"


def test_timestamp_is_read():
    stamp = ("<wsu:Timestamp><wsu:Created>2026-11-28T10:00:00Z</wsu:Created>"
             "<wsu:Expires>2026-11-28T10:05:00.5Z</wsu:Expires></wsu:Timestamp>")
    parsed = parse_security(header(security(stamp, token())))
    assert parsed.timestamp_created == datetime(2026, 11, 28, 10, 0)
    assert parsed.expires == datetime(2026, 11, 28, 10, 5, 0, 500000)


@pytest.mark.parametrize("text", ["2026-11-28T10:00:00Z", "2026-11-28T10:00:00+00:00",
                                  "2026-11-28T10:00:00.5Z", "2026-11-28T10:00:00.123456789+00:00"])
def test_utc_forms_are_accepted(text):
    assert parse_utc(text, "x").replace(microsecond=0) == datetime(2026, 11, 28, 10, 0, 0)


@pytest.mark.parametrize("text", ["2026-11-28T10:00:00", "2026-11-28T10:00:00+01:00",
                                  "2026-11-28 10:00:00Z", "2026-02-30T10:00:00Z", "yesterday"])
def test_other_time_forms_are_invalid(text):
    with pytest.raises(SecurityRefused) as caught:
        parse_utc(text, "wsu:Created")
    assert caught.value.reason == "InvalidSecurity"


@pytest.mark.parametrize(("case", "xml"), [
    ("no header", ""),
    ("other header only", "<x:Routing/>"),
    ("two Security headers", security(token()) + security(token())),
    ("empty Security", security()),
    ("two tokens", security(token(), token())),
    ("no Username", security(token(username=""))),
    ("no Password", security(token(password=""))),
    ("two Passwords", security(token(extra="<wsse:Password>secret</wsse:Password>"))),
    ("two Nonces", security(token(extra=f"<wsse:Nonce>{NONCE}</wsse:Nonce>"))),
    ("two Created", security(token(extra=f"<wsu:Created>{CREATED}</wsu:Created>"))),
    ("unknown element in the token", security(token(extra="<x:Salt>1</x:Salt>"))),
    ("unknown element in Security", security(token(), "<x:Signature/>")),
    ("unknown password Type", security(token(
        password='<wsse:Password Type="{p}#Plain">secret</wsse:Password>'))),
    ("empty password", security(token(password="<wsse:Password/>"))),
    ("nonce of another encoding", security(token(
        nonce=f'<wsse:Nonce EncodingType="hex">{NONCE}</wsse:Nonce>'))),
    ("nonce not base64", security(token(nonce="<wsse:Nonce>***</wsse:Nonce>"))),
    ("nonce too short", security(token(nonce="<wsse:Nonce>AAAA</wsse:Nonce>"))),
    ("nonce without Created", security(token(created=""))),
    ("digest without nonce", security(token(
        password='<wsse:Password Type="{p}#PasswordDigest">abc=</wsse:Password>', nonce=""))),
    ("digest without Created", security(token(
        password='<wsse:Password Type="{p}#PasswordDigest">abc=</wsse:Password>', nonce="", created=""))),
    ("Created with an offset", security(token(created="<wsu:Created>2026-11-28T10:00:00-05:00</wsu:Created>"))),
    ("Timestamp expiring before created", security(
        "<wsu:Timestamp><wsu:Created>2026-11-28T10:00:00Z</wsu:Created>"
        "<wsu:Expires>2026-11-28T09:00:00Z</wsu:Expires></wsu:Timestamp>", token())),
    ("two Timestamps", security("<wsu:Timestamp/>", "<wsu:Timestamp/>", token())),
    ("element inside Username", security(token(username="<wsse:Username><x:b>acme</x:b></wsse:Username>"))),
])
def test_malformed_headers_are_invalid_security(case, xml):
    assert refused(xml).reason == "InvalidSecurity"


def test_a_header_we_must_but_cannot_understand_is_a_must_understand_fault():
    with pytest.raises(Fault) as caught:
        parse_security(header('<x:Routing soap:mustUnderstand="1"/>' + security(token())))
    assert caught.value.faultcode == "MustUnderstand"


def test_a_header_we_may_ignore_is_ignored():
    parsed = parse_security(header('<x:Routing soap:mustUnderstand="0"/>' + security(token())))
    assert parsed.username == "acme"


def test_suds_unqualified_must_understand_true_on_security_is_accepted():
    assert parse_security(header(security(token(), attrs=' mustUnderstand="true"'))).username == "acme"
