"""Guards for the gunicorn internals ``entrypoints/server.py`` relies on (the only module that
touches them): fails here, plainly, when a gunicorn upgrade changes them."""

from __future__ import annotations

import inspect

from gunicorn import util
from gunicorn.http.message import Message
from gunicorn.workers.gthread import ThreadWorker
from lxml import etree
from partner_service.entrypoints.server import SoapFaultWorker, _FaultWriter


class _Socket:
    def __init__(self):
        self.sent = b""
        self.timeout = None

    def gettimeout(self):
        return self.timeout

    def setblocking(self, flag):
        self.timeout = None if flag else 0.0

    def sendall(self, data):
        self.sent += data


def test_the_gthread_worker_still_has_the_hooks_the_soap_fault_worker_overrides():
    assert issubclass(SoapFaultWorker, ThreadWorker)
    parameters = inspect.signature(ThreadWorker.handle_error).parameters
    assert list(parameters) == ["self", "req", "client", "addr", "exc"]
    assert list(inspect.signature(ThreadWorker.handle_request).parameters) == ["self", "req", "conn"]
    assert Message._expected_100_continue is False  # the flag that makes gunicorn send 100 Continue


def test_gunicorns_html_error_page_becomes_a_soap_fault_of_the_same_status():
    sock = _Socket()
    util.write_error(_FaultWriter(sock), 400, "Bad Request", "Invalid Request Line 'GET /<script>'")
    head, _, body = sock.sent.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 Bad Request\r\n") and b"text/xml" in head
    assert etree.fromstring(body).findtext(".//faultcode") == "soap11env:Client"
    assert b"script" not in sock.sent and b"<html" not in sock.sent
