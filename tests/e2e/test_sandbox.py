"""The test site: a sandbox service (gunicorn, as deployed) answers each documented magic value
with its failure, a production service stores the same values as plain data; the environment
is in the WSDL, the metrics and the log; a reset leaves credentials working and the demo data
back as seeded; production refuses demo data and resets."""

from __future__ import annotations

import io
import json
import logging
import socket
import time

import pytest
import requests
import zeep
from click.testing import CliRunner
from partner_service.app import create_app
from partner_service.config import Settings
from partner_service.domain.model import Person, Principal
from partner_service.entrypoints.cli import main
from partner_service.entrypoints.request_log import EnvironmentFilter, JsonFormatter, logging_config
from partner_service.service_layer import credentials, lead_sources, sandbox, staff
from zeep.transports import Transport
from zeep.wsse.username import UsernameToken

from ..support import gunicorn, serve_in_thread
from ..support.operations import TNS, assert_fault

MAGIC = {  # what a production service stores, as plain data, for each magic value
    "UNAVAILABLE": "SANDBOX-UNAVAILABLE", "SLOW": "SANDBOX-SLOW-2", "DROP": "SANDBOX-DROP",
    "INVALID": "SANDBOX-INVALID-Email", "STALE": "SANDBOX-STALE",
}


def zeep_service(url: str, timeout: float = 10):
    transport = Transport(timeout=timeout, operation_timeout=timeout)
    return zeep.Client(f"{url}/soap?wsdl", transport=transport, wsse=UsernameToken("acme", "unused")).service


@pytest.fixture
def metrics_bind(monkeypatch) -> str:
    """Where the sandbox's gunicorn serves /metrics (never on the SOAP port): a free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        bind = f"127.0.0.1:{probe.getsockname()[1]}"
    monkeypatch.setenv("PARTNER_METRICS_BIND", bind)
    return bind


@pytest.fixture
def sandbox_url(monkeypatch, database_url, engine, world, tmp_path, metrics_bind):
    """A sandbox served by gunicorn on the test database (username-only authentication)."""
    monkeypatch.setenv("PARTNER_ENVIRONMENT", "sandbox")
    with gunicorn(database_url, {"acme": world.acme.client_id}, tmp_path, workers=1, threads=4) as (url, _pid):
        yield url


def stored(uow_factory, client_id: int, external_id: str):
    with uow_factory() as uow:
        person = uow.people.by_external_id(client_id, external_id)
        return None if person is None else (str(person.id), person.last_name, person.email)


def test_each_magic_value_answers_its_failure_in_the_sandbox(sandbox_url, world, uow_factory):
    acme, club, client = zeep_service(sandbox_url), world.acme_club_ids[0], world.acme.client_id

    assert_fault(acme.SaveProspect, "Server.Unavailable", ClubId=club,
                 Prospect={"ExternalId": "SANDBOX-UNAVAILABLE", "FirstName": "U", "LastName": "Down"})
    assert stored(uow_factory, client, "SANDBOX-UNAVAILABLE") is None

    assert_fault(acme.SaveMember, "Client.Validation", "Email", ClubId=club,
                 Member={"ExternalId": "m-invalid", "FirstName": "I", "LastName": "SANDBOX-INVALID-Email"})
    assert stored(uow_factory, client, "m-invalid") is None

    first = acme.SaveProspect(ClubId=club, Prospect={"ExternalId": "p-stale", "FirstName": "S",
                                                     "LastName": "Old"})
    stale = acme.SaveProspect(ClubId=club, Prospect={"Id": first.Id, "FirstName": "S",
                                                     "LastName": "SANDBOX-STALE"})
    assert (stale.Action, stale.Id) == ("Stale", first.Id)
    assert stored(uow_factory, client, "p-stale")[1] == "Old"

    started = time.monotonic()
    with pytest.raises(requests.exceptions.Timeout):
        zeep_service(sandbox_url, timeout=1).SaveProspect(
            ClubId=club, Prospect={"ExternalId": "SANDBOX-SLOW-2", "FirstName": "S", "LastName": "Slow"})
    slow = acme.SaveProspect(ClubId=club, Prospect={"ExternalId": "SANDBOX-SLOW-2", "FirstName": "S",
                                                    "LastName": "Slow"})
    assert time.monotonic() - started >= 3 and slow.Action == "Unchanged"  # saved, though answered late

    with pytest.raises(requests.exceptions.ConnectionError):
        acme.SaveProspect(ClubId=club, Prospect={"ExternalId": "SANDBOX-DROP", "FirstName": "D",
                                                 "LastName": "Drop"})
    saved = stored(uow_factory, client, "SANDBOX-DROP")
    assert saved is not None, "committed before the connection closed"
    retried = acme.SaveProspect(ClubId=club, Prospect={"ExternalId": "SANDBOX-DROP", "FirstName": "D",
                                                       "LastName": "Drop"})
    assert (retried.Action, retried.Id) == ("Unchanged", saved[0])

    batch = acme.SaveProspects(ClubId=club, Prospects={"Prospect": [
        {"ExternalId": "b-1", "FirstName": "B", "LastName": "SANDBOX-INVALID-LastName"},
        {"ExternalId": "b-2", "FirstName": "B", "LastName": "Fine"}]})
    assert [r.Action for r in batch] == ["Failed", "Inserted"]
    assert (batch[0].Error.Code, batch[0].Error.Field) == ("Client.Validation", "LastName")
    assert stored(uow_factory, client, "b-1") is None


def test_the_sandbox_names_itself_in_the_wsdl_and_every_metric(sandbox_url, metrics_bind):
    wsdl = requests.get(f"{sandbox_url}/soap?wsdl", timeout=10).text
    assert "Environment: sandbox." in wsdl
    zeep_service(sandbox_url).GetLeadSources()
    samples = [line for line in requests.get(f"http://{metrics_bind}/metrics", timeout=10).text.splitlines()
               if line.startswith("partner_") and "{" in line]
    assert samples and all('environment="sandbox"' in line for line in samples)


def test_the_magic_values_are_plain_data_in_production(live_url, world, uow_factory):
    acme, club = zeep_service(live_url), world.acme_club_ids[0]
    assert "Environment: production." in requests.get(f"{live_url}/soap?wsdl", timeout=10).text
    for name, value in MAGIC.items():
        by_id = acme.SaveProspect(ClubId=club, Prospect={"ExternalId": value, "FirstName": name,
                                                         "LastName": value, "Email": f"{name}@example.com"})
        assert by_id.Action == "Inserted", name
        assert stored(uow_factory, world.acme.client_id, value) == (by_id.Id, value, f"{name}@example.com")
    batch = acme.SaveProspects(ClubId=club, Prospects={"Prospect": [
        {"ExternalId": f"batch-{value}", "FirstName": "B", "LastName": value} for value in MAGIC.values()]})
    assert [r.Action for r in batch] == ["Inserted"] * len(MAGIC)


def test_every_log_line_names_the_environment():
    config = logging_config("json", "info", "sandbox")
    assert config["handlers"]["console"]["filters"] == ["environment"]
    assert "%(environment)s" in config["formatters"]["text"]["format"]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(EnvironmentFilter(config["filters"]["environment"]["environment"]))
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("partner_service.test_sandbox")
    logger.addHandler(handler)
    try:
        logger.warning("a line")
    finally:
        logger.removeHandler(handler)
    assert json.loads(stream.getvalue())["environment"] == "sandbox"


# --- demo data and resets --------------------------------------------------------------------


def cli(database_url: str, tmp_path, *args: str, environment: str = "sandbox"):
    env = {"PARTNER_DATABASE_URL": database_url, "PARTNER_DATA_DIR": str(tmp_path),
           "PARTNER_AUTH_HASH_MEMORY_KIB": "1024", "PARTNER_ENVIRONMENT": environment}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def demo_state(uow_factory, client_id: int) -> dict:
    """What a Connector sees of the client: staff, lead sources, people (IDs aside)."""
    principal = Principal(client_id)
    with uow_factory() as uow:
        people = sorted((p.external_id, p.first_name, p.last_name, str(p.user_type), p.email)
                        for p in uow.session.query(Person).filter_by(client_id=client_id))
    return {"staff": sorted((v.email, v.first_name, v.last_name, v.club_ids)
                            for v in staff.list_staff(uow_factory(), principal, None)),
            "lead sources": sorted((v.name, v.external_id) for v in
                                   lead_sources.list_lead_sources(uow_factory(), principal)),
            "people": people}


def test_turnup_seeds_the_demo_and_a_reset_brings_it_back_keeping_credentials(database_url, engine, uow_factory,
                                                                             tmp_path):
    done = cli(database_url, tmp_path, "turnup", "--client", "Sandbox Gyms", "--clubs", "2", "--url",
               "https://sandbox.example/soap", "--seed-demo")
    assert done.exit_code == 0, done.output
    sheet = dict(line.split(" = ", 1) for line in done.output.splitlines() if " = " in line)
    client_id, password = int(sheet["client_id"]), json.loads(sheet["password"])
    username = json.loads(sheet["username"])
    assert json.loads(sheet['"environment"']) == "sandbox"
    seeded = demo_state(uow_factory, client_id)
    club_ids = json.loads(sheet["club_ids"])
    emails = [e for e, *_ in seeded["staff"]]
    assert {c for *_, clubs in seeded["staff"] for c in clubs} == set(club_ids), "staff in every club"
    assert emails.count(sandbox.SHARED_EMAIL) == 2 and len(set(emails)) == len(emails) - 1
    assert len(seeded["lead sources"]) >= 3 and len(seeded["people"]) == 3

    settings = Settings(data_dir=tmp_path, environment="sandbox", auth_hash_memory_kib=1024)
    app = create_app(settings, engine=engine)
    with serve_in_thread(app) as url:
        token = UsernameToken(username, password, use_digest=True)
        service = zeep.Client(f"{url}/soap?wsdl", wsse=token).service
        service.SaveProspect(ClubId=club_ids[0], Prospect={"ExternalId": "connector-1", "FirstName": "Con",
                                                           "LastName": "Nector"})
        service.SaveLeadSource(LeadSource={"Name": "Radio"})
        service.SaveMember(ClubId=club_ids[0], Member={"ExternalId": "DEMO-PROSPECT-1", "LastName": "Changed"})
        assert demo_state(uow_factory, client_id) != seeded

        done = cli(database_url, tmp_path, "sandbox", "reset", "--client", str(client_id))
        assert done.exit_code == 0, done.output
        assert demo_state(uow_factory, client_id) == seeded
        with uow_factory() as uow:
            assert uow.people.by_external_id(client_id, "connector-1") is None
        staff_list = service.GetStaffList(ClubId=club_ids[0])  # the same credential still works
        assert sandbox.SHARED_EMAIL in [s.Email for s in staff_list]
        assert service.SaveProspect(ClubId=club_ids[0], Prospect={"ExternalId": "connector-1", "FirstName": "C",
                                                                  "LastName": "N"}).Action == "Inserted"
    app.engine.dispose()


def test_production_refuses_demo_data_and_resets(database_url, engine, uow_factory, world, tmp_path):
    before = demo_state(uow_factory, world.acme.client_id)
    done = cli(database_url, tmp_path, "sandbox", "reset", "--client", str(world.acme.client_id),
               environment="production")
    assert done.exit_code == 1 and "Refused in production" in done.output
    assert demo_state(uow_factory, world.acme.client_id) == before
    done = cli(database_url, tmp_path, "turnup", "--client", "Real Gyms", "--clubs", "1", "--url",
               "https://partner.example/soap", "--seed-demo", environment="production")
    assert done.exit_code == 1 and "Refused in production" in done.output
    assert credentials.list_credentials(uow_factory()) == [], "nothing of the refused turn-up was created"


def test_the_fault_detail_of_a_magic_validation_is_the_declared_one(sandbox_url, world):
    fault = assert_fault(zeep_service(sandbox_url).SaveProspect, "Client.Validation", "Email",
                         ClubId=world.acme_club_ids[0],
                         Prospect={"FirstName": "F", "LastName": "SANDBOX-INVALID-Email"})
    assert fault.detail.findtext(f".//{{{TNS}}}Code") == "Client.Validation"
