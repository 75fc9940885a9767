"""Real WS-Security end to end: ``partner-service turnup`` prints a sheet, and
``partner-client check --sheet`` connects with it (digest and text), on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from partner_service.app import create_app
from partner_service.config import Settings

from ..support import postgres_database, serve_in_thread

BIN = Path(sys.executable).parent


def command(name, *args, env):
    return subprocess.run([str(BIN / name), *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(params=["sqlite", "postgresql"])
def service_env(request, tmp_path):
    env = {**os.environ, "PARTNER_DATA_DIR": str(tmp_path / "service")}
    if request.param == "sqlite":
        env["PARTNER_DATABASE_URL"] = f"sqlite:///{tmp_path / 'service.sqlite3'}"
        yield env
        return
    with postgres_database() as url:
        env["PARTNER_DATABASE_URL"] = url
        upgrade = command("partner-service", "db", "upgrade", env=env)
        assert upgrade.returncode == 0, upgrade.stderr
        yield env


@pytest.fixture
def live_service(service_env):
    """The real app (real authenticator) on a loopback port, configured like the CLI."""
    settings = dataclasses.replace(Settings.from_env(service_env), metrics=False)
    app = create_app(settings)
    with serve_in_thread(app) as url:
        yield f"{url}/soap"
    app.engine.dispose()


@pytest.mark.parametrize("password_type", ["digest", "text"])
def test_a_turned_up_client_checks_with_its_sheet(service_env, live_service, tmp_path, password_type):
    turnup = command("partner-service", "turnup", "--client", f"Turnup {password_type}", "--clubs", "2",
                     "--url", live_service, "--password-type", password_type, env=service_env)
    assert turnup.returncode == 0, turnup.stderr
    sheet = tmp_path / "sheet.toml"
    sheet.write_text(turnup.stdout)
    client_id = next(line.split("=")[1].strip() for line in turnup.stdout.splitlines()
                     if line.startswith("client_id"))
    staff = command("partner-service", "staff", "add", "--client", client_id, "--email", "coach@gym.example",
                    "--first-name", "Cora", "--last-name", "Coach", env=service_env)
    assert staff.returncode == 0, staff.stderr

    links = f"sqlite:///{tmp_path / 'links.sqlite3'}"
    check = command("partner-client", "--links", links, "check", "--sheet", str(sheet), env=service_env)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "connected and authenticated" in check.stdout
    # Both clubs have the one staff member; the new client has no lead source yet.
    assert len(re.findall(r"staff in club \d+\s*│\s*1\s*│", check.stdout)) == 2, check.stdout
    assert re.search(r"lead sources\s*│\s*0\s*│", check.stdout), check.stdout

    wrong = tmp_path / "wrong.toml"
    wrong.write_text("\n".join(line if not line.startswith("password =") else 'password = "not-it"'
                               for line in turnup.stdout.splitlines()) + "\n")
    refused = command("partner-client", "--links", links, "check", "--sheet", str(wrong), env=service_env)
    assert refused.returncode == 2
    assert "FailedAuthentication" in refused.stderr and refused.stdout == ""  # errors go to stderr
    assert "not-it" not in refused.stderr
