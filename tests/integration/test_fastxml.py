"""The fast complex-type reader and writer answer byte for byte what spyne's own would.

The same requests go through one app twice, with ``fast_complex_xml`` on and off; writes
are avoided (``Test`` saves, reads) so both passes meet the same stored state.
"""

from __future__ import annotations

import io

import pytest
from partner_service.app import create_app
from partner_service.config import Settings

from ..support import UsernameOnly

NS = ('xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:p="urn:connector-partner:v1" '
      'xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"')


def _envelope(body: str) -> bytes:
    return (f"<soapenv:Envelope {NS}><soapenv:Header><wsse:Security><wsse:UsernameToken>"
            f"<wsse:Username>acme</wsse:Username></wsse:UsernameToken></wsse:Security></soapenv:Header>"
            f"<soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>").encode()


def _prospect(n: int, extra: str = "") -> str:
    return (f"<p:Prospect><p:ExternalId>fx-{n}</p:ExternalId><p:FieldsToNull><p:FieldName>City</p:FieldName>"
            f"<p:FieldName>Mobile</p:FieldName></p:FieldsToNull><p:FirstName>F{n}</p:FirstName>"
            f"<p:LastName>L{n}</p:LastName><p:Status>Active</p:Status><p:BirthDate>1990-01-0{n % 9 + 1}"
            f"</p:BirthDate><p:Gender>Female</p:Gender>{extra}<p:ModifiedDate>2026-01-01T10:00:00Z"
            f"</p:ModifiedDate></p:Prospect>")


def _requests(club: int, staff_id: str) -> list[bytes]:
    return [_envelope(body) for body in (
        f"<p:GetStaffList><p:ClubId>{club}</p:ClubId></p:GetStaffList>",
        "<p:GetStaffList/>",
        "<p:GetStaffByEmail><p:Email>JSTAFF@club.com</p:Email></p:GetStaffByEmail>",
        "<p:GetLeadSources/>",
        f"<p:SaveProspect><p:ClubId>{club}</p:ClubId>{_prospect(1)}<p:Test>true</p:Test></p:SaveProspect>",
        f"<p:SaveProspects><p:ClubId>{club}</p:ClubId><p:Prospects>"
        + "".join(_prospect(n) for n in range(5))
        + _prospect(6, "<p:Address1>Main St 1</p:Address1>").replace("<p:LastName>L6</p:LastName>", "")
        + "</p:Prospects><p:Test>true</p:Test></p:SaveProspects>",
        f"<p:SaveMembers><p:ClubId>{club}</p:ClubId><p:Members><p:Member><p:Id>999999</p:Id>"
        f"<p:FirstName>X</p:FirstName></p:Member></p:Members><p:AllOrNone>true</p:AllOrNone>"
        f"<p:Test>true</p:Test></p:SaveMembers>",
        f"<p:SaveProspect><p:ClubId>{club}</p:ClubId><p:Prospect><p:FirstName>x</p:FirstName>"
        f"<p:BirthDate>1990-13-45</p:BirthDate></p:Prospect></p:SaveProspect>",
        f"<p:SaveProspect><p:ClubId>{club}</p:ClubId><p:Prospect><p:FirstName>A</p:FirstName>"
        f"<p:LastName>B</p:LastName><p:LeadOwnerId>{staff_id}</p:LeadOwnerId></p:Prospect>"
        f"<p:Test>1</p:Test></p:SaveProspect>",
    )]


def _call(app, body: bytes) -> tuple[str, bytes]:
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/soap", "QUERY_STRING": "", "SERVER_NAME": "localhost",
               "SERVER_PORT": "80", "wsgi.url_scheme": "http", "CONTENT_TYPE": "text/xml; charset=utf-8",
               "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body)}
    status = []
    reply = b"".join(app(environ, lambda s, headers, exc_info=None: status.append(s)))
    return status[0], reply


def _protocols(app):
    spyne_app = app.soap.app
    return {id(p): p for p in (spyne_app.in_protocol, spyne_app.out_protocol)}.values()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_fast_and_spyne_complex_xml_give_the_same_replies(engine, world, tmp_path):
    app = create_app(Settings(data_dir=tmp_path), engine=engine,
                     authenticate=UsernameOnly({"acme": world.acme}))
    requests = _requests(world.acme_club_ids[0], world.staff_id)
    fast = [_call(app, body) for body in requests]
    for protocol in _protocols(app):
        assert protocol.fast_complex_xml
        protocol.fast_complex_xml = False
        protocol.__dict__.pop("_fast_readers", None)
        protocol.__dict__.pop("_fast_writers", None)
    generic = [_call(app, body) for body in requests]
    assert fast == generic
    statuses = [status for status, _ in fast]
    assert statuses.count("200 OK") >= 6 and any(s.startswith("500") for s in statuses)
    assert b"Validated" in fast[5][1] and b"Failed" in fast[5][1]
    assert b"<tns:Email>jstaff@club.com</tns:Email>" in fast[0][1]
