"""A TLS front for a plain-HTTP test server: HTTPS with a certificate of a private CA (trustme)
on a loopback port, each connection pumped to the upstream port as it is."""

from __future__ import annotations

import socket
import ssl
import threading
from contextlib import contextmanager, suppress


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            target.sendall(chunk)
    except OSError:
        pass
    finally:
        for sock in (source, target):
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _serve(listener: socket.socket, context: ssl.SSLContext, upstream: int, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            raw, _ = listener.accept()
        except OSError:
            return
        try:
            client = context.wrap_socket(raw, server_side=True)
        except OSError:  # a client that does not trust the CA ends its handshake
            raw.close()
            continue
        server = socket.create_connection(("127.0.0.1", upstream))
        for source, target in ((client, server), (server, client)):
            threading.Thread(target=_pump, args=(source, target), daemon=True).start()


@contextmanager
def tls_front(upstream_port: int, ca):
    """``https://127.0.0.1:PORT`` in front of ``127.0.0.1:upstream_port``; ``ca`` is a ``trustme.CA``."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    threading.Thread(target=_serve, args=(listener, context, upstream_port, stop), daemon=True).start()
    try:
        yield f"https://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.close()
