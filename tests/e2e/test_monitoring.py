"""Monitoring as operators use it: the alert rules pass ``promtool test rules`` (each alert
fires on what should raise it, and not on its healthy neighbour), and every query of the
alerts and of the Grafana dashboard names a metric that a live ``partner-service serve``
exports; the readiness, dependency and replay cache metrics follow a Redis that is gone."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import tomllib
import uuid
from pathlib import Path

import pytest
import zeep
from partner_service.adapters import migrate
from partner_service.adapters.db import default_sqlite_url, make_engine
from partner_service.adapters.secrets import SecretKeeper
from partner_service.service_layer import credentials, tenants
from partner_service.service_layer.unit_of_work import SqlAlchemyUnitOfWork, session_factory
from prometheus_client.parser import text_string_to_metric_families

from ..support import REDIS_URL
from ..support.service_process import PROJECT_COMMAND, clean_environment, make_tls_files, serve
from ..support.wsse import GET_LEAD_SOURCES, envelope, fresh_key, post, security_xml, token_xml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
DASHBOARD = DEPLOY / "grafana" / "partner-service.json"


def alert_expressions() -> dict[str, str]:
    """{alert name: expression} of deploy/prometheus/alerts.yml (inline or ``|`` blocks)."""
    expressions, name, lines = {}, None, ALERTS.read_text().splitlines()
    for number, line in enumerate(lines):
        if match := re.match(r"\s*- alert: (\w+)", line):
            name = match.group(1)
        elif match := re.match(r"(\s*)expr: (.*)", line):
            text = match.group(2)
            if text.strip() == "|":
                indent = len(match.group(1))
                block = []
                for following in lines[number + 1:]:
                    if following.strip() and len(following) - len(following.lstrip()) <= indent:
                        break
                    block.append(following.strip())
                text = " ".join(block)
            expressions[name] = text
    return expressions


def dashboard_queries() -> dict[str, str]:
    """{panel title and refId, or variable name: PromQL} of the Grafana dashboard."""
    dashboard = json.loads(DASHBOARD.read_text())
    queries = {f"{panel['title']} {target['refId']}": target["expr"]
               for panel in dashboard["panels"] for target in panel["targets"]}
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            queries[f"${variable['name']}"] = variable["query"]["query"]
    return queries


def metric_names(query: str) -> set[str]:
    """The metric names a PromQL text reads: ``partner_*`` and ``up`` (never a label name)."""
    without_labels = re.sub(r"\{[^}]*\}", "", query)
    without_groupings = re.sub(r"\b(by|without)\s*\([^)]*\)", "", without_labels)
    return set(re.findall(r"\b(partner_[a-z_]+|up)\b", without_groupings))


def test_promtool_checks_and_tests_the_alert_rules():
    for command in (["promtool", "check", "rules", str(ALERTS)],
                    ["promtool", "test", "rules", "alerts.test.yml"]):
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=ALERTS.parent)
        assert done.returncode == 0 and "SUCCESS" in done.stdout + done.stderr, done.stdout + done.stderr
    assert set(alert_expressions()) == {
        "PartnerServiceDown", "PartnerServiceNotReady", "PartnerDatabaseUnavailable",
        "PartnerReplayCacheErrors", "PartnerHighErrorRate", "PartnerAuthFailureBurst", "PartnerSlowCalls"}


def test_the_query_parser_finds_metrics_and_skips_labels():
    assert metric_names('sum by (code) (rate(partner_soap_faults_total{code=~"Server.*"}[5m]))') == {
        "partner_soap_faults_total"}
    assert metric_names('up{job="partner-service"} == 0') == {"up"}


@pytest.fixture(scope="module")
def live_metrics(tmp_path_factory):
    """Sample names of a live server's /metrics (SQLite, TLS, the Redis replay cache) after a
    saved prospect and a refused password, with its partner_ready and dependency values."""
    tmp = tmp_path_factory.mktemp("monitoring")
    environment = clean_environment(PARTNER_DATA_DIR=str(tmp / "data"), PARTNER_SECRET_KEY=fresh_key(),
                                    PARTNER_WORKERS="2", PARTNER_THREADS="2", PARTNER_LOG_FORMAT="json",
                                    PARTNER_REPLAY_CACHE_URL=REDIS_URL,
                                    PARTNER_REPLAY_CACHE_PREFIX=f"test:{uuid.uuid4().hex}:")
    turnup = [str(PROJECT_COMMAND), "turnup", "--client", "Watched Gyms", "--clubs", "1", "--url",
              "https://127.0.0.1/soap"]
    done = subprocess.run(turnup, env=environment, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    sheet = tomllib.loads(done.stdout)
    server = serve(environment, tmp / "serve.log", tls=make_tls_files(tmp))
    try:
        client = server.client(sheet["username"], sheet["password"])
        assert client.service.SaveProspect(ClubId=sheet["club_ids"][0], Prospect={
            "FirstName": "Metra", "LastName": "Watched"}).Action == "Inserted"
        with pytest.raises(zeep.exceptions.Fault):
            server.client(sheet["username"], "not-the-password").service.GetLeadSources()
        text = server.metrics()
        assert server.get("/metrics").status_code == 404  # never on the public port
    finally:
        server.stop()
    families = text_string_to_metric_families(text)
    samples = {sample.name: sample for family in families for sample in family.samples}
    return samples, text


def test_every_dashboard_and_alert_query_names_a_metric_the_service_exports(live_metrics):
    samples, text = live_metrics
    exported = set(samples) | {"up"}  # up: Prometheus's own, one per scrape target
    queries = {**{f"alert {k}": v for k, v in alert_expressions().items()},
               **{f"dashboard {k}": v for k, v in dashboard_queries().items()}}
    assert len(queries) >= 18
    for where, query in queries.items():
        names = metric_names(query)
        assert names, f"{where} names no metric: {query}"
        assert names <= exported, f"{where} reads {names - exported}, which /metrics lacks"
    assert 'partner_dependency_up{dependency="database",environment="production"} 1.0' in text
    assert 'partner_dependency_up{dependency="replay_cache",environment="production"} 1.0' in text
    assert samples["partner_ready"].value == 1.0 and samples["partner_replay_cache_errors_total"].value == 0.0


def test_a_redis_that_is_gone_is_counted_and_turns_readiness_and_its_gauge_down(tmp_path):
    key = fresh_key()
    engine = make_engine(default_sqlite_url(tmp_path / "data"))
    migrate.upgrade(engine)
    sessions = session_factory(engine)
    client = tenants.create_client(SqlAlchemyUnitOfWork(sessions), "Cacheless Gyms", 1)
    issued = credentials.add_credential(SqlAlchemyUnitOfWork(sessions), SecretKeeper(key.encode()), client.id)
    engine.dispose()
    with socket.socket() as closed:  # bound, not listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        environment = clean_environment(PARTNER_DATA_DIR=str(tmp_path / "data"), PARTNER_SECRET_KEY=key,
                                        PARTNER_WORKERS="1", PARTNER_THREADS="2",
                                        PARTNER_REPLAY_CACHE_URL=f"redis://127.0.0.1:{closed.getsockname()[1]}/0")
        server = serve(environment, tmp_path / "serve.log")
        try:
            token = security_xml(token_xml(issued.credential.username, issued.password, digest=True))
            answers = [post(server.base, envelope(GET_LEAD_SOURCES, token)).fault_code for _ in range(2)]
            samples = server.samples()
        finally:
            server.stop()
    assert answers == ["Server.Unavailable"] * 2
    production = '"environment": "production"'
    assert samples[f'partner_replay_cache_errors_total{{{production}}}'] == 2.0
    assert samples[f'partner_dependency_up{{"dependency": "replay_cache", {production}}}'] == 0.0
    assert samples[f'partner_dependency_up{{"dependency": "database", {production}}}'] == 1.0
    assert samples[f'partner_ready{{{production}}}'] == 0.0
