"""What the load processes send: SOAP envelopes with a fresh PasswordDigest token each, over a
minimal keep-alive HTTP/1.1 connection (http.client would cost the load side more CPU than
the canned-reply server spends answering).
"""

from __future__ import annotations

import base64
import hashlib
import os
import socket
from datetime import UTC, datetime

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
TNS = "urn:connector-partner:v1"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
_PROFILE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
_BASE64 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"


def security_header(username: str, password: str) -> str:
    """A UsernameToken with a PasswordDigest over a fresh nonce and the current time."""
    nonce = os.urandom(16)
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    # SHA-1 is what the UsernameToken Profile's PasswordDigest is defined with.
    digest = base64.b64encode(hashlib.sha1(nonce + created.encode() + password.encode(),  # noqa: S324
                                           usedforsecurity=False).digest()).decode()
    return (f'<wsse:Security xmlns:wsse="{WSSE}" xmlns:wsu="{WSU}" soapenv:mustUnderstand="1">'
            f"<wsse:UsernameToken><wsse:Username>{username}</wsse:Username>"
            f'<wsse:Password Type="{_PROFILE}#PasswordDigest">{digest}</wsse:Password>'
            f'<wsse:Nonce EncodingType="{_BASE64}">{base64.b64encode(nonce).decode()}</wsse:Nonce>'
            f"<wsu:Created>{created}</wsu:Created></wsse:UsernameToken></wsse:Security>")


def envelope(header: str, body: str) -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?><soapenv:Envelope xmlns:soapenv="{SOAP_ENV}" '
            f'xmlns:p="{TNS}"><soapenv:Header>{header}</soapenv:Header>'
            f"<soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>").encode()


def prospect(external_id: str, city: str) -> str:
    # Elements in the schema's order: ExternalId, FirstName, LastName, City, Mobile, Email.
    return (f"<p:Prospect><p:ExternalId>{external_id}</p:ExternalId><p:FirstName>Bench</p:FirstName>"
            f"<p:LastName>Prospect {external_id}</p:LastName><p:City>{city}</p:City>"
            f"<p:Mobile>+1 555 0100</p:Mobile><p:Email>{external_id}@bench.example</p:Email></p:Prospect>")


def save_prospect(club_id: int, external_id: str, city: str) -> str:
    return f"<p:SaveProspect><p:ClubId>{club_id}</p:ClubId>{prospect(external_id, city)}</p:SaveProspect>"


def save_prospects(club_id: int, records: list[tuple[str, str]]) -> str:
    items = "".join(prospect(e, c) for e, c in records)
    return (f"<p:SaveProspects><p:ClubId>{club_id}</p:ClubId><p:Prospects>{items}</p:Prospects>"
            f"</p:SaveProspects>")


def get_staff_list(club_id: int) -> str:
    return f"<p:GetStaffList><p:ClubId>{club_id}</p:ClubId></p:GetStaffList>"


class Connection:
    """One keep-alive HTTP/1.1 connection that POSTs and reads Content-Length replies."""

    def __init__(self, host: str, port: int, path: str = "/soap"):
        self.address, self.path = (host, port), path
        self.sock: socket.socket | None = None
        self.buffer = b""

    def _connect(self) -> socket.socket:
        sock = socket.create_connection(self.address, timeout=30)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""
        return sock

    def post(self, body: bytes, action: str = "") -> tuple[int, bytes]:
        head = (f"POST {self.path} HTTP/1.1\r\nHost: {self.address[0]}:{self.address[1]}\r\n"
                f'Content-Type: text/xml; charset=utf-8\r\nSOAPAction: "{action}"\r\n'
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        for attempt in (1, 2):  # the server may close an idle keep-alive connection once
            if self.sock is None:
                self.sock = self._connect()
            try:
                self.sock.sendall(head + body)
                return self._read()
            except (ConnectionError, TimeoutError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _read(self) -> tuple[int, bytes]:
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        headers = dict(line.split(b":", 1) for line in lines[1:])
        headers = {k.strip().lower(): v.strip() for k, v in headers.items()}
        length = int(headers.get(b"content-length", b"0"))
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        if headers.get(b"connection", b"").lower() == b"close":
            self.close()
        return status, body

    def _fill(self) -> None:
        chunk = self.sock.recv(262144)
        if not chunk:
            raise _Closed()
        self.buffer += chunk

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock, self.buffer = None, b""


class _Closed(ConnectionError):
    pass
