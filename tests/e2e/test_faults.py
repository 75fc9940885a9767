"""Faults for what is nobody's fault but ours: an unexpected error is a ``Server`` fault with
a correlation ID (also in the log) and nothing else; a database outage is
``Server.Unavailable``, and nothing of the refused request is stored."""

from __future__ import annotations

import logging
import re

import pytest
import zeep
from lxml import etree
from partner_service.adapters import migrate
from partner_service.adapters.db import make_engine
from partner_service.app import create_app
from partner_service.config import Settings
from partner_service.domain.model import Principal
from partner_service.service_layer import staff, tenants
from partner_service.service_layer.unit_of_work import SqlAlchemyUnitOfWork, session_factory
from zeep.plugins import HistoryPlugin
from zeep.wsse.username import UsernameToken

from ..support import UsernameOnly, postgres_database, proxied, serve_in_thread
from ..support.operations import PETE, TNS, assert_fault, code_of, fault_of, people_count

SECRET = "hunter2-at-db.internal:5432"


def zeep_client(url: str, history: HistoryPlugin | None = None) -> zeep.Client:
    return zeep.Client(f"{url}/soap?wsdl", wsse=UsernameToken("acme", "unused"),
                       plugins=[history] if history else [])


def test_an_unexpected_error_is_a_server_fault_with_a_correlation_id_and_no_internals(
        live_url, monkeypatch, caplog):
    def broken(*_args, **_kwargs):
        raise RuntimeError(f"connection string {SECRET} went missing")

    monkeypatch.setattr(staff, "list_staff", broken)
    history = HistoryPlugin()
    with caplog.at_level(logging.ERROR, logger="partner_service"):
        fault = fault_of(zeep_client(live_url, history).service.GetStaffList)
    assert code_of(fault) == "Server"
    correlation_id = fault.detail.findtext(f".//{{{TNS}}}CorrelationId")
    assert re.fullmatch(r"[0-9a-f]{16}", correlation_id)
    assert correlation_id in fault.message
    logged = [r for r in caplog.records if correlation_id in r.getMessage()]
    assert logged and logged[0].exc_info and logged[0].exc_info[0] is RuntimeError
    wire = etree.tostring(history.last_received["envelope"]).decode()
    for leak in (SECRET, "Traceback", "RuntimeError", "list_staff", ".py"):
        assert leak not in wire


def test_each_unexpected_error_gets_its_own_correlation_id(live_url, monkeypatch):
    monkeypatch.setattr(staff, "list_staff", lambda *a, **k: 1 / 0)
    service = zeep_client(live_url).service
    ids = {fault_of(service.GetStaffList).detail.findtext(f".//{{{TNS}}}CorrelationId") for _ in range(2)}
    assert len(ids) == 2


@pytest.fixture
def outage(tmp_path):
    """``(proxy, url, uow_factory, club_id)``: the app reaching PostgreSQL through a cuttable proxy."""
    with postgres_database() as database_url, proxied(database_url) as (proxy, proxied_url):
        direct = make_engine(database_url)
        migrate.upgrade(direct)
        uow_factory = lambda: SqlAlchemyUnitOfWork(session_factory(direct))  # noqa: E731
        acme = tenants.create_client(uow_factory(), "Acme Fitness", 1)
        engine = make_engine(proxied_url)
        app = create_app(Settings(data_dir=tmp_path), engine=engine,
                         authenticate=UsernameOnly({"acme": Principal(acme.id, username="acme")}))
        try:
            with serve_in_thread(app) as url:
                yield proxy, url, uow_factory, acme.club_ids[0]
        finally:
            engine.dispose()
            direct.dispose()


def test_a_database_outage_is_server_unavailable_and_nothing_is_saved(outage):
    proxy, url, uow_factory, club_id = outage
    service = zeep_client(url).service
    assert service.SaveProspect(ClubId=club_id, Prospect={**PETE, "ExternalId": "OUT-1"}).Action == "Inserted"
    proxy.cut()
    save = {**PETE, "ExternalId": "OUT-2"}
    fault = assert_fault(service.SaveProspect, "Server.Unavailable", ClubId=club_id, Prospect=save)
    assert "retry" in fault.message.lower()
    assert str(proxy.port) not in fault.message and "127.0.0.1" not in fault.message
    assert_fault(service.GetLeadSources, "Server.Unavailable")
    assert people_count(uow_factory) == 1
    proxy.restore()
    assert service.SaveProspect(ClubId=club_id, Prospect=save).Action == "Inserted"
    assert people_count(uow_factory) == 2
