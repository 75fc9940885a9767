"""Old clients keep working: clients built from each released WSDL (plain zeep from the file,
the bundled Python client at that release, node-soap, PHP) run the interop scenario against
the current service, and against a test service publishing a harmless additive change (a new
optional element, a new operation) that the checker judges additive."""

from __future__ import annotations

import pytest
import zeep
from partner_service import wsdl_compat
from partner_service.app import create_app
from partner_service.config import Settings
from partner_service.entrypoints.cli import published_wsdl
from partner_service.security import secret_keeper
from partner_service.service_layer import credentials
from zeep.wsse.username import UsernameToken

from ..interop.scenario import Setting, check_answers, check_stored, fault_code, refused_steps, steps
from ..support import serve_in_thread
from ..support.old_clients import NEW_ELEMENT, NEW_OPERATION, RELEASED, GrownService, grown_wsdl, stacks
from .test_interop import STAFF_EMAIL, USERNAME

STACKS = ("zeep", "partner_client", "node-soap", "php-soapclient")
# Every release against the grown test service; the older ones against the current service too
# (the newest against the current service is tests/e2e/test_interop.py's own run).
RUNS = [*(("current", r) for r in RELEASED[:-1]), *(("grown", r) for r in RELEASED)]


@pytest.fixture
def database_url(tmp_path):
    """SQLite only: the stacks' serialisation is what is under test here (test_interop runs both)."""
    return f"sqlite:///{tmp_path / 'partner.sqlite3'}"


@pytest.fixture
def live(request, engine, world, uow_factory, tmp_path):
    """(endpoint, password, the grown service or None) of the real app with real WS-Security."""
    settings = Settings(data_dir=tmp_path, auth_hash_memory_kib=1024)
    issued = credentials.add_credential(uow_factory(), secret_keeper(settings), world.acme.client_id, USERNAME)
    password = issued.password
    app = create_app(settings, engine=engine)
    grown = GrownService(app, grown_wsdl(published_wsdl())) if request.param == "grown" else None
    with serve_in_thread(grown or app) as url:
        yield f"{url}/soap", password, grown


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize(("live", "released"), RUNS, indirect=["live"],
                         ids=[f"{service}-{released.stem}" for service, released in RUNS])
def test_a_client_built_from_a_released_wsdl_runs_the_scenario(live, released, stack, world, uow_factory,
                                                              tmp_path):
    endpoint, password, _grown = live
    run = stacks(released, endpoint, tmp_path)[stack]
    setting = Setting(tag=f"{stack}-{released.stem}", club_id=world.acme_club_ids[0],
                      other_club_id=world.acme_club_ids[1], staff_id=world.staff_id, staff_email=STAFF_EMAIL)
    results = run(username=USERNAME, password=password, steps=steps(setting))
    check_answers(results, setting, sorted(world.acme_club_ids))
    check_stored(uow_factory(), world.acme.client_id, setting, results)
    refused = run(username=USERNAME, password=password + "x", steps=refused_steps())
    assert fault_code(refused["GetLeadSources"]) == "FailedAuthentication"


@pytest.mark.parametrize("released", RELEASED, ids=lambda p: p.stem)
def test_the_test_copy_is_judged_additive_against_every_release(released):
    changes = wsdl_compat.compare(released.read_bytes(), grown_wsdl(published_wsdl()))
    assert wsdl_compat.breaking(changes) == [], "\n".join(map(str, changes))
    found = {(c.where, c.what) for c in changes}
    assert (f"operation {NEW_OPERATION}", "new operation") in found
    assert (f"type tns:Prospect/{NEW_ELEMENT}", "new optional element at the end of the sequence") in found


@pytest.mark.parametrize("live", ["grown"], indirect=True)
def test_the_test_service_really_publishes_the_grown_contract(live, world):
    """A client built from the grown copy (its ?wsdl) calls the new operation and sends the new element."""
    endpoint, password, grown = live
    client = zeep.Client(f"{endpoint}?wsdl", wsse=UsernameToken(USERNAME, password, use_digest=True))
    assert client.service.Ping() == "pong"
    result = client.service.SaveProspect(ClubId=world.acme_club_ids[0], Prospect={
        "FirstName": "Nick", "LastName": "Named", NEW_ELEMENT: "Nicky"})
    assert result.Action == "Inserted"
    assert grown.nicknames == ["Nicky"]
