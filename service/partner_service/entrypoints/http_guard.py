"""HTTP-level refusals of a SOAP POST, before any XML is parsed.

A SOAP 1.1 request is ``text/xml`` (WS-I Basic Profile R1140), in UTF-8 or UTF-16
(R1012), with a body of bounded size. Each refusal is a SOAP fault with a 4xx status
(R1124); nothing the caller sent is repeated in it.
"""

from __future__ import annotations

import functools
import io
from email.message import Message

from spyne.model.fault import Fault

SOAP11_MEDIA_TYPE = "text/xml"
SOAP12_MEDIA_TYPE = "application/soap+xml"
_CHARSETS = {"utf-8", "utf8", "utf-16", "utf-16le", "utf-16be"}
_UNSUPPORTED = "415 Unsupported Media Type"
# A body up to this many times the limit is read and dropped before the 413 (see _discard);
# a larger one is not worth the bandwidth and the connection is simply closed after it.
_DRAIN_FACTOR = 8


@functools.lru_cache(maxsize=64)  # callers send the same few Content-Types on every request
def media_type(content_type: str) -> tuple[str, str | None]:
    """``(media type, charset or None)`` of a Content-Type header."""
    header = Message()
    header["Content-Type"] = content_type
    charset = header.get_param("charset")
    return header.get_content_type(), charset if isinstance(charset, str) else None


def _read_chunked(environ, max_body_bytes: int) -> int:
    """Buffer a chunked body (no Content-Length) up to the limit; its length, or -1 if over."""
    body = environ["wsgi.input"].read(max_body_bytes + 1)
    if len(body) > max_body_bytes:
        # As for a declared length: read the rest away (within bounds) so the caller, still
        # sending, reads our 413 instead of a reset connection.
        _discard(environ["wsgi.input"], (_DRAIN_FACTOR - 1) * max_body_bytes)
        return -1
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return len(body)


def _discard(stream, length: int) -> None:
    """Read an over-long body away, so the caller reads our fault instead of a connection reset."""
    while length > 0:
        chunk = stream.read(min(length, 64 * 1024))
        if not chunk:
            return
        length -= len(chunk)


def _body_length(environ, max_body_bytes: int) -> int | None:
    length = (environ.get("CONTENT_LENGTH") or "").strip()
    if length:
        return int(length) if length.isdigit() else None
    if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return _read_chunked(environ, max_body_bytes)
    return 0


def request_refusal(environ, max_body_bytes: int) -> tuple[str, Fault] | None:
    """``(status, fault)`` when a POST to /soap cannot be a SOAP 1.1 request; None when it may be."""
    kind, charset = media_type(environ.get("CONTENT_TYPE") or "")
    if kind == SOAP12_MEDIA_TYPE:
        return _UNSUPPORTED, Fault("VersionMismatch", "application/soap+xml is SOAP 1.2; this endpoint "
                                                      "speaks SOAP 1.1 (Content-Type: text/xml).")
    if kind != SOAP11_MEDIA_TYPE or (charset is not None and charset.lower() not in _CHARSETS):
        return _UNSUPPORTED, Fault("Client", "The Content-Type must be text/xml; charset=utf-8 "
                                             "(a SOAP 1.1 envelope in UTF-8 or UTF-16).")
    length = _body_length(environ, max_body_bytes)
    if length is not None and max_body_bytes < length <= _DRAIN_FACTOR * max_body_bytes:
        _discard(environ["wsgi.input"], length)
    if length is None or length < 0 or length > max_body_bytes:
        return "413 Request Entity Too Large", Fault(
            "Client", f"The request body must be at most {max_body_bytes} bytes, of a valid length.")
    if length == 0:
        return "400 Bad Request", Fault("Client", "The request body is empty; POST one SOAP 1.1 envelope.")
    return None
