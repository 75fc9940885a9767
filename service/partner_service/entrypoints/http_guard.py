"""HTTP-level refusals of a SOAP POST, before any XML is parsed.

A SOAP 1.1 request is ``text/xml`` (WS-I Basic Profile R1140), in UTF-8 or UTF-16
(R1012), uncompressed, with a body of bounded size that arrives whole: a body that ends
before its ``Content-Length`` (or its last chunk) is refused, so an incomplete message is
never processed. Each refusal is a SOAP fault with a 4xx status (R1124); nothing the caller
sent is repeated in it. A request that passes is left with its whole body in memory
(``wsgi.input`` a ``BytesIO``, ``CONTENT_LENGTH`` its length).
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


_INCOMPLETE = "400 Bad Request", Fault(
    "Client", "The request body ended before its declared length (Content-Length or the last chunk); "
              "nothing of it was processed. Send the whole envelope again.")


def _read(stream, size: int) -> bytes | None:
    """``size`` bytes, or None when the body ends (or the connection fails) first."""
    parts, left = [], size
    try:
        while left > 0:
            chunk = stream.read(min(left, 256 * 1024))
            if not chunk:
                return None
            parts.append(chunk)
            left -= len(chunk)
    except Exception:  # the server's reader: a closed connection, a bad chunk, a timeout
        return None
    return b"".join(parts)


def _read_chunked(environ, max_body_bytes: int) -> int | None:
    """Buffer a chunked body (no Content-Length) up to the limit: its length, -1 if over the
    limit, None if it broke off."""
    try:
        body = environ["wsgi.input"].read(max_body_bytes + 1)
    except Exception:  # the client closed mid-chunk, or sent a malformed chunk
        return None
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
    try:
        while length > 0:
            chunk = stream.read(min(length, 64 * 1024))
            if not chunk:
                return
            length -= len(chunk)
    except Exception:  # the caller hung up: there is nobody left to answer
        return


def _body_length(environ, max_body_bytes: int) -> int | None:
    length = (environ.get("CONTENT_LENGTH") or "").strip()
    if length:
        return int(length) if length.isdigit() else -2
    if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return _read_chunked(environ, max_body_bytes)
    return 0


def request_refusal(environ, max_body_bytes: int) -> tuple[str, Fault] | None:
    """``(status, fault)`` when a POST to /soap cannot be a SOAP 1.1 request; None when it may
    be, its whole body then read into ``wsgi.input``."""
    if environ.get("HTTP_CONTENT_ENCODING", "identity").strip().lower() not in ("", "identity"):
        return _UNSUPPORTED, Fault("Client", "The request body must not be compressed (no Content-Encoding); "
                                             "send the SOAP envelope as plain text/xml.")
    kind, charset = media_type(environ.get("CONTENT_TYPE") or "")
    if kind == SOAP12_MEDIA_TYPE:
        return _UNSUPPORTED, Fault("VersionMismatch", "application/soap+xml is SOAP 1.2; this endpoint "
                                                      "speaks SOAP 1.1 (Content-Type: text/xml).")
    if kind != SOAP11_MEDIA_TYPE or (charset is not None and charset.lower() not in _CHARSETS):
        return _UNSUPPORTED, Fault("Client", "The Content-Type must be text/xml; charset=utf-8 "
                                             "(a SOAP 1.1 envelope in UTF-8 or UTF-16).")
    declared = bool((environ.get("CONTENT_LENGTH") or "").strip())  # else chunked: read already
    length = _body_length(environ, max_body_bytes)
    if length is None:
        return _INCOMPLETE
    if max_body_bytes < length <= _DRAIN_FACTOR * max_body_bytes:
        _discard(environ["wsgi.input"], length)
    if length < 0 or length > max_body_bytes:
        return "413 Request Entity Too Large", Fault(
            "Client", f"The request body must be at most {max_body_bytes} bytes, of a valid length.")
    if length == 0:
        return "400 Bad Request", Fault("Client", "The request body is empty; POST one SOAP 1.1 envelope.")
    if declared:
        body = _read(environ["wsgi.input"], length)
        if body is None:
            return _INCOMPLETE
        environ["wsgi.input"] = io.BytesIO(body)
    return None
