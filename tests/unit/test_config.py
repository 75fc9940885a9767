"""Settings: defaults < TOML file < PARTNER_* environment < command-line flags; every
mistake reported at once with where it came from; secrets never shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from partner_service.config import ConfigError, Settings


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "partner.toml"
    path.write_text(text)
    return path


def test_defaults_serve_tls_on_loopback_with_a_one_mib_body_limit():
    settings = Settings.from_env({})
    assert settings.bind == "127.0.0.1:8443" and settings.scheme == "https"
    assert settings.max_body_bytes == 1024 * 1024
    assert settings.workers >= 2 and settings.threads == 4
    assert settings.log_format == "text"


def test_environment_beats_the_file_and_the_file_beats_the_defaults(tmp_path):
    path = _file(tmp_path, 'bind = "0.0.0.0:9443"\nworkers = 3\nlog_format = "json"\n'
                           'operations = ["SaveProspect", "GetLeadSources"]\n')
    settings = Settings.from_env({"PARTNER_CONFIG_FILE": str(path), "PARTNER_WORKERS": "5"})
    assert settings.workers == 5
    assert settings.bind == "0.0.0.0:9443" and settings.log_format == "json"
    assert settings.operations == ("SaveProspect", "GetLeadSources")
    assert settings.threads == 4


def test_an_explicit_file_is_used_instead_of_the_environments(tmp_path):
    path = _file(tmp_path, "threads = 7\n")
    assert Settings.from_env({"PARTNER_CONFIG_FILE": "/nonexistent.toml"}, config_file=path).threads == 7


def test_command_line_flags_beat_the_environment():
    settings = Settings.from_env({"PARTNER_BIND": "127.0.0.1:1", "PARTNER_WORKERS": "2"})
    changed = settings.with_overrides(bind="127.0.0.1:2", workers=None, insecure_http=True)
    assert changed.bind == "127.0.0.1:2" and changed.workers == 2 and changed.scheme == "http"


def test_every_mistake_is_reported_once_naming_its_source(tmp_path):
    path = _file(tmp_path, 'threads = 0\nwokers = 2\nlog_format = "xml"\n')
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"PARTNER_CONFIG_FILE": str(path), "PARTNER_WORKERS": "many",
                           "PARTNER_BIND": "8443", "PARTNER_INSECURE_HTTP": "perhaps"})
    problems = caught.value.problems
    assert len(problems) == 6
    text = "\n".join(problems)
    assert f"threads ({path}): must be a whole number from 1 to 64, got '0'" in text
    assert "unknown setting 'wokers'" in text
    assert "log_format" in text and "text, json" in text
    assert "PARTNER_WORKERS (environment): must be a whole number from 1 to 64, got 'many'" in text
    assert "PARTNER_BIND (environment): must be HOST:PORT" in text
    assert "PARTNER_INSECURE_HTTP (environment): must be true or false" in text


def test_a_flag_is_checked_like_a_variable():
    with pytest.raises(ConfigError, match="--workers \\(command line\\): must be a whole number"):
        Settings.from_env({}).with_overrides(workers=0)


def test_a_file_that_is_not_toml_or_missing_says_so(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        Settings.from_env({}, config_file=_file(tmp_path, "bind = \n"))
    with pytest.raises(ConfigError, match="cannot be read"):
        Settings.from_env({}, config_file=tmp_path / "missing.toml")


def test_a_secret_is_never_repeated_in_a_message_or_repr():
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"PARTNER_DATABASE_URL": "mysql://app:hunter2secret@db/partner"})
    assert "PARTNER_DATABASE_URL" in str(caught.value) and "hunter2secret" not in str(caught.value)
    settings = Settings.from_env({"PARTNER_DATABASE_URL": "postgresql+psycopg://app:hunter2secret@db/p",
                                  "PARTNER_SECRET_KEY": "k" * 44})
    assert "hunter2secret" not in repr(settings) and "k" * 44 not in repr(settings)
    assert "hunter2secret" not in settings.summary() and "db/p" in settings.summary()


def test_tls_files_go_together_and_must_be_readable_to_serve(tmp_path):
    with pytest.raises(ConfigError, match="set both or neither"):
        Settings.from_env({"PARTNER_TLS_CERT_FILE": "/etc/cert.pem"})
    assert any("tls_cert_file and tls_key_file" in p for p in Settings.from_env({}).serving_problems())
    missing = Settings.from_env({"PARTNER_TLS_CERT_FILE": str(tmp_path / "c.pem"),
                                 "PARTNER_TLS_KEY_FILE": str(tmp_path / "k.pem")})
    assert len(missing.serving_problems()) == 2
    assert Settings.from_env({"PARTNER_INSECURE_HTTP": "yes"}).serving_problems() == []


DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def test_the_shipped_example_settings_are_valid():
    assert Settings.from_env({}, config_file=DEPLOY / "partner.toml.example").log_format == "json"
    lines = (DEPLOY / "partner.env.example").read_text().splitlines()
    env = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    settings = Settings.from_env(env)
    assert (settings.bind, settings.insecure_http, [str(n) for n in settings.trusted_proxies]) == (
        "127.0.0.1:8081", True, ["127.0.0.1/32"])  # behind the front


def test_the_replay_cache_url_must_be_redis_and_its_password_is_never_shown():
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"PARTNER_REPLAY_CACHE_URL": "http://:hunter2secret@cache:6379/0"})
    assert "redis:// or rediss://" in str(caught.value) and "hunter2secret" not in str(caught.value)
    settings = Settings.from_env({"PARTNER_REPLAY_CACHE_URL": "rediss://:hunter2secret@cache:6380/2"})
    assert "hunter2secret" not in repr(settings) and "hunter2secret" not in settings.summary()
    assert "replay_cache=rediss://cache:6380/2" in settings.summary()
    assert "replay_cache=database" in Settings.from_env({}).summary()
