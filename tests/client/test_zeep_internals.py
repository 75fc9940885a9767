"""Guard: the zeep internals the client uses (``partner_client.zeep_internals``) are still there."""

from __future__ import annotations

import pytest
import zeep
from partner_client import zeep_internals
from partner_client.ns import BINDING, BUNDLED_WSDL


@pytest.fixture
def proxy():
    return zeep.Client(str(BUNDLED_WSDL), settings=zeep.Settings(strict=True)).create_service(
        BINDING, "https://partner.example/soap")


def test_the_installed_zeep_has_every_internal_the_client_uses(proxy):
    zeep_internals.check(proxy)
    assert zeep_internals.address_of(proxy) == "https://partner.example/soap"


def test_a_service_proxy_without_them_is_reported_as_changed():
    with pytest.raises(zeep_internals.ZeepChanged):
        zeep_internals.check(object())
