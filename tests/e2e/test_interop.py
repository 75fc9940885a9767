"""Other SOAP stacks call every operation of the running service with a WS-Security
UsernameToken, built from nothing but the published WSDL (issue 7).

Each stack runs the same scenario (tests/interop/scenario.py); the answers it parsed
and what the service stored must be exactly what was sent.
"""

from __future__ import annotations

import pytest

from ..interop.drivers import STACKS
from ..interop.scenario import Setting, check_answers, check_stored, fault_code, refused_steps, steps

STAFF_EMAIL = "jstaff@club.com"


@pytest.fixture
def service(live_url):
    """The WSDL URL and the credentials the service accepts for tenant ``acme``."""
    return {"wsdl": f"{live_url}/soap?wsdl", "username": "acme", "password": "acme-Secret-1"}


@pytest.mark.parametrize("stack", sorted(STACKS))
def test_every_operation_round_trips(stack, service, world, uow_factory):
    setting = Setting(tag=stack, club_id=world.acme_club_ids[0], other_club_id=world.acme_club_ids[1],
                      staff_id=world.staff_id, staff_email=STAFF_EMAIL)
    results = STACKS[stack](steps=steps(setting), **service)
    check_answers(results, setting, sorted(world.acme_club_ids))
    check_stored(uow_factory(), world.acme.client_id, setting, results)


@pytest.mark.parametrize("stack", sorted(STACKS))
def test_unknown_credentials_get_a_wss_fault(stack, service):
    results = STACKS[stack](steps=refused_steps(), **dict(service, username="nobody"))
    assert fault_code(results["GetLeadSources"]) == "FailedAuthentication"
