"""Requests no SOAP stack should send, each with the fault it must get: the cases of
``tests/e2e/test_hostile.py`` and of ``tools/robustness_report.py``."""

from __future__ import annotations

from dataclasses import dataclass

from .robustness import MARKER, SOAP11_ENV, SOAP_XML, envelope, save_xml


@dataclass(frozen=True)
class Hostile:
    """One request no SOAP stack should send, and the fault it must get."""

    name: str
    body: bytes
    code: str
    content_type: str | None = SOAP_XML
    status: int = 500
    field: str | None = None


def _prospect(club_id: int, extra: str = "", first: str = "Pete") -> str:
    return (f"<p:SaveProspect><p:ClubId>{club_id}</p:ClubId><p:Prospect><p:ExternalId>{MARKER}</p:ExternalId>"
            f"<p:FirstName>{first}</p:FirstName><p:LastName>Prospect</p:LastName>{extra}</p:Prospect>"
            f"</p:SaveProspect>")


def _prolog(prolog: str, operation_xml: str, encoding: str = "utf-8") -> bytes:
    """An envelope after an XML declaration or DOCTYPE, encoded as told."""
    return (prolog + envelope(operation_xml).decode()).encode(encoding)


def hostile_requests(club_id: int, max_body_bytes: int = 1024 * 1024) -> list[Hostile]:
    """Hostile and broken requests, each carrying ``MARKER`` where the format lets it."""
    ok, m = _prospect(club_id), MARKER

    def extra(xml: str) -> bytes:
        return envelope(_prospect(club_id, extra=xml))

    def first(text: str) -> str:
        return _prospect(club_id, first=text)

    laughs = f'<!DOCTYPE s [<!ENTITY a "{m * 10}">' + "".join(
        f"<!ENTITY {chr(98 + i)} \"{('&' + chr(97 + i) + ';') * 10}\">" for i in range(8)) + "]>"
    xinclude = f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" parse="text" href="file:///etc/hostname?{m}"/>'
    soap12 = f'<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><{m}/></e:Body></e:Envelope>'
    xsi = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    syntax, validation, client = "Client.XMLSyntaxError", "Client.Validation", "Client"
    H = Hostile
    return [
        H("DTD with an internal entity", _prolog(f'<!DOCTYPE s [<!ENTITY m "{m}">]>', first("&m;")), syntax),
        H("external entity (XXE)", _prolog(f'<!DOCTYPE s [<!ENTITY x SYSTEM "file:///etc/passwd?{m}">]>',
                                                  first("&x;")), syntax),
        H("external DTD over the network", _prolog(f'<!DOCTYPE s SYSTEM "http://127.0.0.1:9/{m}.dtd">', ok),
                syntax),
        H("billion laughs", _prolog(laughs, first("&i;")), syntax),
        H("undeclared entity", envelope(first(f"&{m};")), syntax),
        H("XInclude", envelope(first(xinclude)), validation, field="FirstName"),
        H("nesting 100 deep", envelope(f"<{m}>" * 100 + f"</{m}>" * 100), syntax),
        H("nesting 10000 deep", envelope("<a>" * 10000 + "</a>" * 10000), syntax),
        H("huge text node in a field", envelope(first(m * 60000)), validation, field="FirstName"),
        H("huge text node in an unknown element", extra(f"<p:Notes>{m * 60000}</p:Notes>"), validation,
                field="Body"),
        H("body over the size limit", envelope(first(m * (max_body_bytes // 10))), client, status=413),
        H("ISO-8859-1, correctly declared", _prolog('<?xml version="1.0" encoding="ISO-8859-1"?>',
                                                          first("Jos\xe9"), "latin-1"), syntax,
                content_type="text/xml"),
        H("Latin-1 bytes labelled UTF-8", envelope(first(m + "Jos\xe9")).decode().encode("latin-1"), syntax),
        H("UTF-16 labelled charset=utf-8", _prolog('<?xml version="1.0" encoding="UTF-16"?>', ok, "utf-16"),
                syntax),
        H("UTF-32", _prolog('<?xml version="1.0" encoding="UTF-32"?>', ok, "utf-32"), syntax,
                content_type="text/xml"),
        H("XML 1.1 with a control character", _prolog('<?xml version="1.1"?>', first(m + "&#x1;")), syntax),
        H("SOAP 1.2 envelope", soap12.encode(), "VersionMismatch"),
        H("SOAP 1.2 content type", soap12.encode(), "VersionMismatch", content_type="application/soap+xml",
                status=415),
        H("empty body", b"", client, status=400),
        H("blank body", b"   \n", syntax),
        H("JSON", ('{"' + m + '": 1}').encode(), syntax),
        H("truncated XML", envelope(ok)[:-40], syntax),
        H("form content type", envelope(ok), client, content_type="application/x-www-form-urlencoded",
                status=415),
        H("no content type", envelope(ok), client, content_type=None, status=415),
        H("charset=iso-8859-1", envelope(ok), client, content_type="text/xml; charset=iso-8859-1",
                status=415),
        H("not an Envelope", f"<{m}>x</{m}>".encode(), "Client.SoapError"),
        H("Envelope without Body", f'<s:Envelope xmlns:s="{SOAP11_ENV}"/>'.encode(), "Client.SoapError"),
        H("two operations in one Body", envelope(ok + ok), "Client.SoapError"),
        H("unknown operation", envelope(f"<p:{m}/>"), validation, field="Body"),
        H("unknown field", extra(f"<p:{m}>x</p:{m}>"), validation, field="Body"),
        H("C1 control character", extra(f"<p:City>{m}&#x85;</p:City>"), validation, field="City"),
        H("DEL control character", extra(f"<p:City>{m}&#x7f;</p:City>"), validation, field="City"),
        H("enumeration", extra(f"<p:Gender>{m}</p:Gender>"), validation, field="Gender"),
        H("date of year 10000", extra("<p:BirthDate>10000-01-01</p:BirthDate>"), validation,
                field="BirthDate"),
        H("dateTime 24:00", extra("<p:ModifiedDate>2024-01-01T24:00:00Z</p:ModifiedDate>"), validation,
                field="ModifiedDate"),
        H("dateTime beyond UTC", extra("<p:ModifiedDate>9999-12-31T23:00:00-14:00</p:ModifiedDate>"),
                validation, field="ModifiedDate"),
        H("ClubId not a number", envelope(save_xml("SaveProspect", m, "Prospect", {"FirstName": "A"})),
                validation, field="ClubId"),
        H("text longer than its maxLength", envelope(first(m * 9)), validation, field="FirstName"),
        H("nil on a non-nillable field", extra(f'<p:City {xsi} xsi:nil="true"/>'), validation, field="City"),
        H("xsi:type to another type", envelope(ok.replace("<p:Prospect>", f'<p:Prospect {xsi} '
                                                                               'xsi:type="p:Staff">')),
                validation),
    ]


__all__ = ["Hostile", "hostile_requests"]
