"""Generated secrets carry 128 random bits or more, so online guessing is hopeless whatever the
throttle allows (docs/security.md, "Guessing")."""

from __future__ import annotations

import base64
import math

from partner_service.service_layer.credentials import new_password


def test_a_generated_password_carries_at_least_128_random_bits():
    passwords = {new_password() for _ in range(200)}
    assert len(passwords) == 200
    for password in passwords:
        raw = base64.urlsafe_b64decode(password + "=" * (-len(password) % 4))
        assert len(raw) * 8 >= 128
    # And it is drawn from the whole alphabet (64 symbols: 6 bits a character).
    alphabet = set("".join(passwords))
    assert math.log2(len(alphabet)) == 6 and len(next(iter(passwords))) * 6 >= 128
