"""Who the caller is behind trusted proxies, and the per-address failure throttle."""

from __future__ import annotations

import ipaddress

import pytest
from partner_service.config import ConfigError, Settings
from partner_service.entrypoints.proxies import PEER_KEY, TrustedProxies
from partner_service.service_layer.throttle import FailureThrottle, ThrottlePolicy, source_key

FRONT = TrustedProxies([ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("10.0.0.0/24")])


def _caller(proxies: TrustedProxies, peer: str, forwarded: str | None = None, proto: str | None = None):
    environ = {"REMOTE_ADDR": peer, "wsgi.url_scheme": "http"}
    if forwarded is not None:
        environ["HTTP_X_FORWARDED_FOR"] = forwarded
    if proto is not None:
        environ["HTTP_X_FORWARDED_PROTO"] = proto
    proxies.apply(environ)
    assert environ[PEER_KEY] == peer
    return environ["REMOTE_ADDR"], environ["wsgi.url_scheme"]


@pytest.mark.parametrize(("peer", "forwarded", "proto", "expected"), [
    ("127.0.0.1", "198.51.100.4", "https", ("198.51.100.4", "https")),           # the front names the caller
    ("198.51.100.9", "203.0.113.7", "https", ("198.51.100.9", "http")),          # forged: not from a proxy
    ("127.0.0.1", "203.0.113.7, 198.51.100.4", None, ("198.51.100.4", "http")),  # the caller's own XFF prefix
    ("127.0.0.1", "198.51.100.4, 10.0.0.7", "http, https", ("198.51.100.4", "https")),  # a chain of proxies
    ("127.0.0.1", "garbage, 198.51.100.4", None, ("198.51.100.4", "http")),
    ("127.0.0.1", "198.51.100.4, garbage", None, ("127.0.0.1", "http")),         # nothing believable
    ("127.0.0.1", "[2001:db8::5]:4711", "ftp", ("2001:db8::5", "http")),
    ("::ffff:127.0.0.1", "198.51.100.4", None, ("198.51.100.4", "http")),
    ("127.0.0.1", None, None, ("127.0.0.1", "http")),
])
def test_the_caller_is_the_rightmost_address_a_trusted_proxy_names(peer, forwarded, proto, expected):
    assert _caller(FRONT, peer, forwarded, proto) == expected


def test_without_trusted_proxies_no_header_is_believed():
    assert _caller(TrustedProxies(), "127.0.0.1", "198.51.100.4", "https") == ("127.0.0.1", "http")


def test_trusted_proxies_are_read_from_the_environment_and_checked():
    settings = Settings.from_env({"PARTNER_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/24,::1"})
    assert [str(n) for n in settings.trusted_proxies] == ["127.0.0.1/32", "10.0.0.0/24", "::1/128"]
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"PARTNER_TRUSTED_PROXIES": "front.example"})
    assert "PARTNER_TRUSTED_PROXIES" in str(caught.value)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_an_address_waits_after_its_failures_doubling_capped_and_a_success_forgets_them():
    clock = Clock()
    throttle = FailureThrottle(ThrottlePolicy(threshold=3, first_seconds=10, max_seconds=25), clock)
    for _ in range(2):
        throttle.failed("198.51.100.4")
    assert throttle.wait("198.51.100.4") == 0
    throttle.failed("198.51.100.4")
    assert throttle.wait("198.51.100.4") == 10
    assert throttle.wait("198.51.100.5") == 0           # another address is not touched
    throttle.failed("198.51.100.4")                      # during the wait: not counted
    clock.now += 10
    assert throttle.wait("198.51.100.4") == 0
    throttle.failed("198.51.100.4")
    assert throttle.wait("198.51.100.4") == 20
    clock.now += 20
    throttle.failed("198.51.100.4")
    assert throttle.wait("198.51.100.4") == 25           # capped
    clock.now += 25
    throttle.succeeded("198.51.100.4")
    throttle.failed("198.51.100.4")
    assert throttle.wait("198.51.100.4") == 0            # counting starts again


def test_a_quiet_address_starts_afresh_and_the_memory_is_bounded():
    clock = Clock()
    throttle = FailureThrottle(ThrottlePolicy(threshold=2, first_seconds=5, max_seconds=30), clock, size=3)
    throttle.failed("198.51.100.4")
    clock.now += 31
    throttle.failed("198.51.100.4")
    assert throttle.wait("198.51.100.4") == 0
    for n in range(5):
        throttle.failed(f"192.0.2.{n}")
    assert len(throttle._failures) == 3


def test_ipv6_is_counted_per_64_and_mapped_ipv4_as_ipv4():
    assert source_key("2001:db8:1:2:aaaa::1") == source_key("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::/64"
    assert source_key("::ffff:198.51.100.4") == "198.51.100.4"
