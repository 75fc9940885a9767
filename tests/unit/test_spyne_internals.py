"""Guard: the spyne internals the service uses (``entrypoints.soap.spyne_internals``) are still there."""

from __future__ import annotations

import pytest
from partner_service.entrypoints.soap import spyne_internals
from partner_service.entrypoints.soap.protocol import PartnerSoap11


def test_the_installed_spyne_has_every_internal_the_service_uses():
    spyne_internals.check(PartnerSoap11(None))


def test_a_protocol_without_them_is_reported_as_changed():
    class Bare:
        def get_cls_attrs(self, cls):
            return object()

    with pytest.raises(spyne_internals.SpyneChanged):
        spyne_internals.check(Bare())
