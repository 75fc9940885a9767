"""deploy/gunicorn.conf.py follows the service's settings, and the log line format."""

from __future__ import annotations

import json
import logging
import runpy
import ssl
from pathlib import Path

from partner_service.config import Settings
from partner_service.entrypoints import server
from partner_service.entrypoints.request_log import JsonFormatter, RequestRecord

DEPLOY_CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "gunicorn.conf.py"


def _gunicorn_settings(monkeypatch, settings: Settings) -> dict:
    monkeypatch.setattr(server, "_active", settings)
    return runpy.run_path(str(DEPLOY_CONFIG))


def test_the_gunicorn_config_follows_the_settings(monkeypatch):
    settings = Settings.from_env({"PARTNER_BIND": "0.0.0.0:9443", "PARTNER_WORKERS": "3",
                                  "PARTNER_THREADS": "6", "PARTNER_TIMEOUT": "40",
                                  "PARTNER_GRACEFUL_TIMEOUT": "25",
                                  "PARTNER_LIMIT_REQUEST_LINE": "2048", "PARTNER_TLS_CERT_FILE": "/tls/c.pem",
                                  "PARTNER_TLS_KEY_FILE": "/tls/k.pem", "PARTNER_LOG_FORMAT": "json"})
    conf = _gunicorn_settings(monkeypatch, settings)
    assert conf["bind"] == ["0.0.0.0:9443"]
    assert (conf["workers"], conf["threads"]) == (3, 6)
    assert conf["worker_class"] == "partner_service.entrypoints.server.SoapFaultWorker"  # gthread's subclass
    assert (conf["secure_scheme_headers"], conf["forwarded_allow_ips"]) == ({}, "")  # PARTNER_TRUSTED_PROXIES
    assert (conf["timeout"], conf["graceful_timeout"], conf["limit_request_line"]) == (40, 25, 2048)
    assert conf["preload_app"] is False  # engines are built per worker, after the fork
    assert (conf["certfile"], conf["keyfile"]) == ("/tls/c.pem", "/tls/k.pem")
    assert conf["logconfig_dict"]["handlers"]["console"]["formatter"] == "json"


def test_plain_http_has_no_certificate(monkeypatch):
    conf = _gunicorn_settings(monkeypatch, Settings.from_env({"PARTNER_INSECURE_HTTP": "true"}))
    assert "certfile" not in conf and "keyfile" not in conf


def test_the_tls_context_refuses_anything_older_than_tls_1_2(monkeypatch):
    conf = _gunicorn_settings(monkeypatch, Settings.from_env({}))

    def permissive_factory():  # what gunicorn's default factory would allow, at worst
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        return context

    assert conf["ssl_context"](None, permissive_factory).minimum_version == ssl.TLSVersion.TLSv1_2


def test_a_request_line_is_json_with_identifiers_only():
    record = RequestRecord("abc123", "POST", "soap", status=200, operation="SaveProspect", club=4,
                           client=2, credential=9, username="acme")
    log_record = logging.LogRecord("partner_service.requests", logging.INFO, __file__, 1, "request %s",
                                   ("text",), None)
    log_record.request = record.fields()
    line = json.loads(JsonFormatter().format(log_record))
    assert line["event"] == "request" and line["request_id"] == "abc123"
    assert {k: line[k] for k in ("operation", "club", "client", "credential", "outcome")} == {
        "operation": "SaveProspect", "club": 4, "client": 2, "credential": 9, "outcome": "ok"}
    assert "started" not in line and "fault" not in line


def test_a_callers_request_id_is_kept_only_when_it_is_a_plain_token():
    assert RequestRecord.open({"HTTP_X_REQUEST_ID": "req-42.a_b"}, "soap").request_id == "req-42.a_b"
    forged = RequestRecord.open({"HTTP_X_REQUEST_ID": "x\nlevel=error"}, "soap").request_id
    assert forged != "x\nlevel=error" and forged.isalnum()
