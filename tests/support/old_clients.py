"""Clients built from a released WSDL (``wsdl/released/<version>.wsdl``), and a test service
publishing a harmless additive change of the contract: what ``test_old_clients.py`` runs.

Each client is built from the released file only, its endpoint address set to the live
service, as a Connector built against that release would be: plain zeep, node-soap and PHP's
SoapClient read the file; the bundled Python client at that release is this package with its
generated layer and bundled WSDL regenerated from the file (``partner_client.codegen.render``),
run in a process of its own.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from functools import partial
from pathlib import Path

import partner_client
from lxml import etree
from partner_client.codegen import render

from ..interop import drivers, python_clients

ROOT = Path(__file__).resolve().parents[2]
RELEASED = sorted((ROOT / "wsdl" / "released").glob("*.wsdl"),
                  key=lambda p: tuple(int(n) for n in p.stem.split(".")))
TNS = "urn:connector-partner:v1"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
NEW_ELEMENT = "Nickname"  # the test copy's new optional element, at the end of tns:Prospect
NEW_OPERATION = "Ping"    # the test copy's new operation


def pointed_at(released: Path, endpoint: str, directory: Path) -> Path:
    """The released WSDL, its ``soap:address`` the live endpoint (as a Connector configures it)."""
    text = re.sub(r'<soap:address location="[^"]*"/>', f'<soap:address location="{endpoint}"/>',
                  released.read_text())
    target = directory / f"partner-{released.stem}.wsdl"
    target.write_text(text)
    return target


def partner_client_at(released: Path, directory: Path) -> Path:
    """A copy of ``partner_client`` whose generated layer and bundled WSDL are those of the release."""
    package = directory / "partner_client"
    shutil.copytree(Path(partner_client.__file__).parent, package,
                    ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
    for relative, content in render(released.read_bytes(), f"wsdl/released/{released.name}").items():
        (package / relative).write_bytes(content)
    return directory


def run_partner_client_at(released: Path, directory: Path, **request) -> dict:
    """The scenario through the release's bundled client, in a process that imports that copy."""
    path = partner_client_at(released, directory)
    program = ("import json, sys, partner_client\n"
               f"assert partner_client.__file__.startswith({str(path)!r}), partner_client.__file__\n"
               "from tests.interop.python_clients import run_partner_client\n"
               "print(json.dumps(run_partner_client(**json.load(sys.stdin)), default=str))\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(path), str(ROOT)]))
    done = subprocess.run([sys.executable, "-c", program], input=json.dumps(request), capture_output=True,
                          text=True, timeout=120, cwd=ROOT, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def stacks(released: Path, endpoint: str, directory: Path) -> dict:
    """``name -> run(username=, password=, steps=)``, each built from ``released``."""
    wsdl_file = str(pointed_at(released, endpoint, directory))
    return {
        "zeep": partial(python_clients.run_zeep, wsdl=wsdl_file, password_type="digest"),
        "partner_client": partial(run_partner_client_at, released, directory / "client",
                                  wsdl=f"{endpoint}?wsdl", password_type="digest"),
        "node-soap": partial(drivers._node, wsdl=wsdl_file, password_type="digest"),
        "php-soapclient": partial(drivers._external, ["php", str(drivers.HERE / "php" / "client.php")],
                                  wsdl=wsdl_file, password_type="digest"),
    }


# --- the test copy: a harmless additive change, served ---------------------------------------


def grown_wsdl(published: bytes) -> bytes:
    """The published WSDL plus an optional ``Prospect/Nickname`` at the end of its sequence and a
    new operation ``Ping`` (request ``Ping``, answer ``PingResponse/Pong``)."""
    text = published.decode()
    last = '<xs:element name="TrialEndDate" type="xs:date" minOccurs="0" maxOccurs="1" nillable="false"/>'
    prospect = text.index('<xs:complexType name="Prospect">')
    end = text.index(last, prospect) + len(last)
    text = (text[:end] + f'\n          <xs:element name="{NEW_ELEMENT}" type="tns:String80" minOccurs="0" '
            'maxOccurs="1" nillable="false"/>' + text[end:])
    text = text.replace('      <xs:complexType name="Prospect">',
                        '      <xs:complexType name="Ping">\n        <xs:sequence/>\n      </xs:complexType>\n'
                        '      <xs:complexType name="PingResponse">\n        <xs:sequence>\n'
                        '          <xs:element name="Pong" type="xs:string" minOccurs="1" maxOccurs="1" '
                        'nillable="false"/>\n        </xs:sequence>\n      </xs:complexType>\n'
                        '      <xs:complexType name="Prospect">', 1)
    text = text.replace("    </xs:schema>", '      <xs:element name="Ping" type="tns:Ping"/>\n'
                        '      <xs:element name="PingResponse" type="tns:PingResponse"/>\n    </xs:schema>', 1)
    text = text.replace("  <wsdl:portType", '  <wsdl:message name="Ping">\n    <wsdl:part name="Ping" '
                        'element="tns:Ping"/>\n  </wsdl:message>\n  <wsdl:message name="PingResponse">\n'
                        '    <wsdl:part name="PingResponse" element="tns:PingResponse"/>\n  </wsdl:message>\n'
                        "  <wsdl:portType", 1)
    text = text.replace("  </wsdl:portType>", '    <wsdl:operation name="Ping">\n      <wsdl:input name="Ping" '
                        'message="tns:Ping"/>\n      <wsdl:output name="PingResponse" '
                        'message="tns:PingResponse"/>\n    </wsdl:operation>\n  </wsdl:portType>', 1)
    text = text.replace("  </wsdl:binding>", '    <wsdl:operation name="Ping">\n      <soap:operation '
                        'soapAction="Ping" style="document"/>\n      <wsdl:input name="Ping">\n'
                        '        <soap:body use="literal"/>\n      </wsdl:input>\n'
                        '      <wsdl:output name="PingResponse">\n'
                        '        <soap:body use="literal"/>\n      </wsdl:output>\n    </wsdl:operation>\n'
                        "  </wsdl:binding>", 1)
    return text.encode()


class GrownService:
    """The real service as a later release would publish it: ``?wsdl`` answers the grown test copy,
    ``Ping`` is answered here, and a Prospect's ``Nickname`` (which this copy gives no meaning) is
    accepted and set aside before the real service reads the request. Everything else is the real
    service's, WS-Security included."""

    def __init__(self, app, wsdl: bytes):
        self.app, self.wsdl = app, wsdl
        self.nicknames: list[str] = []

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "GET" and environ.get("QUERY_STRING", "").lower() == "wsdl":
            host = environ.get("HTTP_HOST")
            body = re.sub(rb'<soap:address location="[^"]*"/>',
                          f'<soap:address location="http://{host}/soap"/>'.encode(), self.wsdl)
            start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8")])
            return [body]
        if environ.get("REQUEST_METHOD") == "POST":
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            document = etree.fromstring(body)
            if document.find(f"{{{SOAP}}}Body/{{{TNS}}}{NEW_OPERATION}") is not None:
                answer = ('<?xml version="1.0" encoding="UTF-8"?>'
                          f'<soap:Envelope xmlns:soap="{SOAP}"><soap:Body>'
                          f'<PingResponse xmlns="{TNS}"><Pong>pong</Pong></PingResponse></soap:Body>'
                          "</soap:Envelope>").encode()
                start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8")])
                return [answer]
            for element in document.iter(f"{{{TNS}}}{NEW_ELEMENT}"):
                self.nicknames.append(element.text)
                element.getparent().remove(element)
            body = etree.tostring(document, xml_declaration=True, encoding="UTF-8")
            environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))
        return self.app(environ, start_response)
