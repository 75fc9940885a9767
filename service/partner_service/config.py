"""Settings: defaults, then an optional TOML file, then ``PARTNER_*`` environment variables.

Order of precedence, highest first: command-line flags (``serve --bind`` ...), environment
variables, the TOML file (``--config FILE`` or ``PARTNER_CONFIG_FILE``), the defaults below.
Each setting ``name`` is ``name = ...`` in the file and ``PARTNER_NAME`` in the environment.
Every mistake is reported at once, one line each, naming where the value came from; a
value is never echoed for a secret setting (the database URL may hold a password).
"""

from __future__ import annotations

import ipaddress
import os
import ssl
import stat
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from urllib.parse import urlsplit

from .adapters.db import default_sqlite_url


class ConfigError(ValueError):
    """One or more settings are wrong; ``problems`` has one readable line per mistake."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _default_workers() -> int:
    # gthread workers: threads cover waiting on the database; processes cover the CPU.
    return max(2, min((os.cpu_count() or 1) + 1, 8))


@dataclass(frozen=True)
class Settings:
    # production (the default) or sandbox: the test site, with demo data, resets and magic values
    # (docs/test-site.md). Named in the WSDL's documentation, every log line and every metric.
    environment: str = "production"
    data_dir: Path = Path("var")
    database_url: str = field(default="", repr=False)
    # The endpoint address written into the served WSDL; empty: taken from each request (its
    # Host checked, and the scheme and caller a trusted proxy names).
    public_url: str = ""
    # Proxies (the front, a load balancer) whose X-Forwarded-For / X-Forwarded-Proto are believed.
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    max_body_bytes: int = 1024 * 1024
    operations: tuple[str, ...] | None = None
    # Serving (``partner-service serve`` and deploy/gunicorn.conf.py).
    bind: str = "127.0.0.1:8443"
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    insecure_http: bool = False
    workers: int = field(default_factory=_default_workers)
    threads: int = 4
    timeout: int = 30
    graceful_timeout: int = 30
    keepalive: int = 5
    limit_request_line: int = 4094
    limit_request_fields: int = 50
    limit_request_field_size: int = 8190
    log_format: str = "text"
    log_level: str = "info"
    metrics: bool = True
    # /metrics is served on this address only (plain HTTP, by the gunicorn master), never on bind.
    metrics_bind: str = "127.0.0.1:9464"
    # WS-Security (see domain.credentials.AuthPolicy and adapters.secrets for what each does).
    auth_max_age: int = 300
    auth_max_skew: int = 60
    # Failed logins slow down their source address (service_layer/throttle.py), never a username.
    auth_lockout_threshold: int = 5
    auth_lockout_seconds: int = 60
    auth_lockout_max_seconds: int = 900
    auth_cache_seconds: int = 5
    auth_rotation_grace: int = 86400
    auth_hash_memory_kib: int = 65536
    secret_key: str = field(default="", repr=False)
    secret_key_file: Path | None = None
    # The nonce replay cache: empty = the database's table; redis://... = that Redis (may hold a password).
    replay_cache_url: str = field(default="", repr=False)
    replay_cache_prefix: str = "partner:nonce:"
    extra: dict = field(default_factory=dict)

    def resolved_database_url(self) -> str:
        return self.database_url or default_sqlite_url(self.data_dir)

    @property
    def scheme(self) -> str:
        return "http" if self.insecure_http else "https"

    def serving_problems(self) -> list[str]:
        """What stops ``serve`` from starting with these settings (files, TLS pairing)."""
        problems = []
        if self.insecure_http:
            return problems
        if self.tls_cert_file is None or self.tls_key_file is None:
            problems.append("TLS needs both tls_cert_file and tls_key_file (PARTNER_TLS_CERT_FILE, "
                            "PARTNER_TLS_KEY_FILE); use --dev for a local certificate or "
                            "--insecure-http behind a TLS-terminating proxy.")
        for name in ("tls_cert_file", "tls_key_file"):
            path = getattr(self, name)
            if path is not None and not os.access(path, os.R_OK):
                problems.append(f"{name}: {path} does not exist or is not readable.")
        if not problems:
            problems.extend(_tls_pair_problems(self.tls_cert_file, self.tls_key_file))
        return problems

    def serving_warnings(self) -> list[str]:
        """What ``serve`` logs as a warning at start: it serves, but not as it should."""
        warnings = []
        key = None if self.insecure_http else self.tls_key_file
        if key is not None and os.path.exists(key) and os.stat(key).st_mode & stat.S_IROTH:
            warnings.append(f"tls_key_file {key} is readable by every user of this machine; "
                            "make it 0600 (or 0640 for the service's group).")
        host = self.bind.rpartition(":")[0].strip("[]")
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            warnings.append(f"bind {self.bind} is not a loopback address: expose the service through "
                            "the front (deploy/haproxy), and let only the front reach this port.")
        return warnings

    def summary(self) -> str:
        """One line for the start-up log; the database password is hidden."""
        from sqlalchemy.engine import make_url

        database = make_url(self.resolved_database_url()).render_as_string(hide_password=True)
        replay_cache = "database"
        if self.replay_cache_url:  # scheme, host, port and db only: the URL may carry a password
            parts = urlsplit(self.replay_cache_url)
            replay_cache = f"{parts.scheme}://{parts.hostname}:{parts.port or 6379}{parts.path}"
        return (f"{self.environment} {self.scheme}://{self.bind} workers={self.workers} threads={self.threads} "
                f"database={database} replay_cache={replay_cache} log_format={self.log_format}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, config_file: str | Path | None = None,
                 overrides: Mapping[str, object] | None = None) -> Settings:
        """Defaults < TOML file (``config_file`` or ``PARTNER_CONFIG_FILE``) < environment < overrides."""
        env = os.environ if environ is None else environ
        problems: list[str] = []
        values: dict[str, object] = {}
        path = config_file or env.get("PARTNER_CONFIG_FILE") or None
        if path:
            _apply(values, _read_toml(Path(path), problems), f"{path}", "", problems)
        _apply(values, {o.name: env[o.env] for o in _OPTIONS.values() if o.env in env}, "environment",
               "PARTNER_", problems)
        if problems:
            raise ConfigError(problems)
        settings = cls(**values)
        problems.extend(_cross_checks(settings))
        if problems:
            raise ConfigError(problems)
        return settings.with_overrides(**(overrides or {}))

    def with_overrides(self, **changes) -> Settings:
        """These settings changed by command-line flags (``None``: flag not given), checked alike."""
        problems: list[str] = []
        values: dict[str, object] = {}
        _apply(values, {k: v for k, v in changes.items() if v is not None}, "command line", "--", problems)
        if problems:
            raise ConfigError(problems)
        settings = replace(self, **values)
        problems.extend(_cross_checks(settings))
        if problems:
            raise ConfigError(problems)
        return settings


# --- parsing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Option:
    name: str
    parse: Callable[[object], object]
    secret: bool = False

    @property
    def env(self) -> str:
        return f"PARTNER_{self.name.upper()}"


def _text(value) -> str:
    if isinstance(value, Path):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError("must be text")
    return value.strip()


def _path(value) -> Path:
    text = _text(value)
    if not text:
        raise ValueError("must not be empty")
    return Path(text).expanduser()


def _bool(value) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("must be true or false")


def _int_between(low: int, high: int) -> Callable[[object], int]:
    def parse(value) -> int:
        try:
            number = value if isinstance(value, int) and not isinstance(value, bool) else int(_text(value))
        except ValueError:
            raise ValueError(f"must be a whole number from {low} to {high}") from None
        if not low <= number <= high:
            raise ValueError(f"must be a whole number from {low} to {high}")
        return number
    return parse


def _one_of(*choices: str) -> Callable[[object], str]:
    def parse(value) -> str:
        text = _text(value).lower()
        if text not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return text
    return parse


def _bind(value) -> str:
    text = _text(value)
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError("must be HOST:PORT, e.g. 0.0.0.0:8443 or [::]:8443")
    return text


def _networks(value) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    items = value if isinstance(value, list) else _text(value).split(",")
    networks = []
    for item in items:
        text = _text(item)
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValueError("must be IP addresses or networks, comma-separated, e.g. 127.0.0.1,10.0.0.0/24"
                             ) from None
    return tuple(networks)


def _optional_bind(value) -> str:
    return _bind(value) if _text(value) else ""


def _url(value) -> str:
    text = _text(value)
    if text and not text.startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// URL")
    return text


def _database_url(value) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    text = _text(value)
    if text:
        try:
            backend = make_url(text).get_backend_name()
        except ArgumentError:
            raise ValueError("is not a SQLAlchemy URL (e.g. postgresql+psycopg://user@host/db)") from None
        if backend not in {"sqlite", "postgresql"}:
            raise ValueError("must be a sqlite:// or postgresql+psycopg:// URL")
    return text


def _redis_url(value) -> str:
    text = _text(value)
    if text and not text.startswith(("redis://", "rediss://")):
        raise ValueError("must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379/0")
    return text


def _operations(value) -> tuple[str, ...] | None:
    items = value if isinstance(value, list) else _text(value).split(",")
    names = tuple(_text(item) for item in items if _text(item))
    return names or None


_OPTIONS = {o.name: o for o in (
    _Option("environment", _one_of("production", "sandbox")),
    _Option("data_dir", _path),
    _Option("database_url", _database_url, secret=True),
    _Option("public_url", _url),
    _Option("trusted_proxies", _networks),
    _Option("max_body_bytes", _int_between(1024, 64 * 1024 * 1024)),
    _Option("operations", _operations),
    _Option("bind", _bind),
    _Option("tls_cert_file", _path),
    _Option("tls_key_file", _path),
    _Option("insecure_http", _bool),
    _Option("workers", _int_between(1, 64)),
    _Option("threads", _int_between(1, 64)),
    _Option("timeout", _int_between(1, 3600)),
    _Option("graceful_timeout", _int_between(1, 3600)),
    _Option("keepalive", _int_between(0, 300)),
    _Option("limit_request_line", _int_between(256, 8190)),
    _Option("limit_request_fields", _int_between(10, 32768)),
    _Option("limit_request_field_size", _int_between(256, 65536)),
    _Option("log_format", _one_of("text", "json")),
    _Option("log_level", _one_of("debug", "info", "warning", "error")),
    _Option("metrics", _bool),
    _Option("metrics_bind", _optional_bind),
    _Option("auth_max_age", _int_between(1, 86400)),
    _Option("auth_max_skew", _int_between(0, 3600)),
    _Option("auth_lockout_threshold", _int_between(1, 1000)),
    _Option("auth_lockout_seconds", _int_between(1, 86400)),
    _Option("auth_lockout_max_seconds", _int_between(1, 86400)),
    _Option("auth_cache_seconds", _int_between(0, 300)),
    _Option("auth_rotation_grace", _int_between(0, 90 * 86400)),
    _Option("auth_hash_memory_kib", _int_between(64, 4 * 1024 * 1024)),
    _Option("secret_key", _text, secret=True),
    _Option("secret_key_file", _path),
    _Option("replay_cache_url", _redis_url, secret=True),
    _Option("replay_cache_prefix", _text),
)}

assert set(_OPTIONS) <= {f.name for f in fields(Settings)}


def _read_toml(path: Path, problems: list[str]) -> dict:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        problems.append(f"config file {path}: cannot be read ({error.strerror}).")
    except tomllib.TOMLDecodeError as error:
        problems.append(f"config file {path}: not valid TOML ({error}).")
    return {}


def _apply(values: dict, raw: Mapping[str, object], source: str, prefix: str, problems: list[str]) -> None:
    for key, value in raw.items():
        option = _OPTIONS.get(key)
        label = {"PARTNER_": f"PARTNER_{key.upper()}", "--": f"--{key.replace('_', '-')}"}.get(prefix, key)
        if option is None:
            problems.append(f"{source}: unknown setting {key!r}; known: {', '.join(sorted(_OPTIONS))}.")
            continue
        try:
            values[key] = option.parse(value)
        except ValueError as error:
            shown = "" if option.secret else f", got {str(value)[:80]!r}"
            problems.append(f"{label} ({source}): {error}{shown}.")


def _tls_pair_problems(cert_file: Path | None, key_file: Path | None) -> list[str]:
    """Whether the certificate chain and the key load and belong together, as a handshake needs."""
    if cert_file is None or key_file is None:
        return []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(str(cert_file), str(key_file), password=lambda: b"")
    except ssl.SSLError as error:
        if error.reason == "KEY_VALUES_MISMATCH":
            return [f"tls_key_file {key_file} is not the key of the certificate in tls_cert_file "
                    f"{cert_file}; every TLS handshake would fail."]
        return [f"tls_cert_file {cert_file} and tls_key_file {key_file} cannot be loaded as a PEM "
                f"certificate chain and its unencrypted private key ({error.reason or 'not PEM'})."]
    except OSError as error:
        return [f"tls_cert_file {cert_file} or tls_key_file {key_file} cannot be read ({error.strerror})."]
    return []


def _cross_checks(settings: Settings) -> list[str]:
    problems = []
    if (settings.tls_cert_file is None) != (settings.tls_key_file is None):
        problems.append("tls_cert_file and tls_key_file go together: set both or neither.")
    return problems
