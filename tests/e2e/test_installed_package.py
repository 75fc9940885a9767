"""An operator's install: the sdist, the wheel built from it, the wheel installed into a fresh
virtualenv, and the service run from an empty folder with nothing of the checkout in reach.

The fresh virtualenv gets the wheel alone (``--no-deps``); the dependencies come from the
project's virtualenv through a ``.pth`` line appended to ``sys.path`` (no network, seconds not
minutes). That line is a plain path, so the project's own editable install (a finder that a
``.pth`` file in *its* site-packages starts) stays off: ``partner_service`` and
``partner_client`` import from the wheel's files only, which the test checks first, so a file
missing from the wheel (the gunicorn settings, a migration, the bundled WSDL) fails it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

from ..support.service_process import clean_environment, free_port, make_tls_files, serve

REPO = Path(__file__).resolve().parents[2]
# What building a release reads: the project's metadata, its packages, and what the sdist carries.
SOURCE = ("pyproject.toml", "README.md", "MANIFEST.in", "service/partner_service", "client/partner_client",
          "deploy", "wsdl")
UNIT = REPO / "deploy" / "partner-service.service"
UNIT_VENV = "/opt/partner-service/venv"


def _run(*command, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, **kwargs)
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    """(wheel, sdist): ``python -m build`` on a copy of the sources (the sdist, then the wheel
    from the sdist, as a release is built); a copy, so no build output lands in the checkout."""
    tmp = tmp_path_factory.mktemp("release")
    source = tmp / "source"
    for name in SOURCE:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc"))
        else:
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    _run(sys.executable, "-m", "build", "--no-isolation", "--outdir", str(tmp / "dist"), str(source))
    (wheel,) = (tmp / "dist").glob("partner_soap-*-py3-none-any.whl")
    (sdist,) = (tmp / "dist").glob("partner_soap-*.tar.gz")
    return wheel, sdist


@pytest.fixture(scope="module")
def venv(release, tmp_path_factory):
    """A fresh virtualenv with the wheel installed; its folder."""
    wheel, _ = release
    home = tmp_path_factory.mktemp("opt") / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", str(home))
    python = home / "bin" / "python"
    _run(sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", "--no-index",
         str(wheel), env=clean_environment())
    site = _run(str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip()
    (Path(site) / "partner-soap-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return home


def test_the_sdist_carries_the_deploy_files_and_the_wheel_the_run_time_data(release):
    wheel, sdist = release
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"deploy/partner-service.service", "deploy/README.md", "deploy/gunicorn.conf.py",
            "wsdl/partner.wsdl", "MANIFEST.in"} <= names
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert {"partner_service/entrypoints/gunicorn.conf.py", "partner_service/adapters/migrations/env.py",
            "partner_service/adapters/migrations/script.py.mako", "partner_client/wsdl/partner.wsdl"} <= names
    migrations = {p.name for p in (REPO / "service/partner_service/adapters/migrations/versions").glob("*.py")}
    assert {n.rsplit("/", 1)[1] for n in names if "/migrations/versions/" in n} == migrations
    assert not any(n.startswith(("tests/", "bench/", "tools/", "deploy/")) for n in names)
    assert "Requires-Python: >=3.11" in metadata
    assert 'Requires-Dist: legacy-cgi>=2.6; python_version >= "3.13"' in metadata


def test_the_installed_wheel_migrates_turns_up_serves_tls_and_answers_zeep(venv, tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    bin_dir = venv / "bin"
    environment = clean_environment(PARTNER_WORKERS="1", PARTNER_THREADS="2", PARTNER_LOG_FORMAT="json")

    def command(*args: str) -> str:
        return _run(str(bin_dir / args[0]), *args[1:], cwd=folder, env=environment).stdout

    # The packages import from the wheel's files, never from the checkout.
    where = json.loads(_run(str(bin_dir / "python"), "-c",
                            "import json, sys, partner_service, partner_client; print(json.dumps("
                            "[partner_service.__file__, partner_client.__file__, sys.path,"
                            " sorted(m for m in sys.modules if 'editable' in m)]))",
                            cwd=folder, env=environment).stdout)
    assert all(Path(module).is_relative_to(venv) for module in where[:2]), where
    assert not any(path.startswith(str(REPO / "service")) or path.startswith(str(REPO / "client"))
                   for path in where[2]) and where[3] == [], where

    assert "schema current on sqlite:///" + str(folder / "var" / "partner.sqlite3") in command(
        "partner-service", "db", "upgrade")
    gunicorn_config = Path(command("partner-service", "gunicorn-config").strip())
    assert gunicorn_config.is_relative_to(venv) and gunicorn_config.is_file()
    assert command("partner-service", "wsdl").encode() == (REPO / "wsdl" / "partner.wsdl").read_bytes()

    port = free_port()
    sheet_text = command("partner-service", "turnup", "--client", "Wheel Gyms", "--clubs", "1",
                         "--url", f"https://127.0.0.1:{port}/soap")
    sheet = tomllib.loads(sheet_text)
    tls = make_tls_files(tmp_path)
    server = serve(environment, tmp_path / "serve.log", command=bin_dir / "partner-service", cwd=folder,
                   tls=tls, port=port)
    try:
        client = server.client(sheet["username"], sheet["password"])
        result = client.service.SaveProspect(ClubId=sheet["club_ids"][0], Prospect={
            "ExternalId": "WHEEL-1", "FirstName": "Wheela", "LastName": "Installed"})
        assert result.Action == "Inserted"
        # The client package's bundled WSDL and command line, from the wheel too.
        sheet_file = tmp_path / "sheet.toml"
        sheet_file.write_text(sheet_text + f'"ca_bundle" = {json.dumps(tls.ca)}\n')
        checked = _run(str(bin_dir / "partner-client"), "check", "--sheet", str(sheet_file), cwd=folder,
                       env=environment)
        assert "ok: connected and authenticated" in checked.stdout
    finally:
        assert server.stop() == 0
    assert "partner-service serving production https://127.0.0.1:" in server.log()


def test_systemd_accepts_the_unit_that_runs_the_installed_command(venv, tmp_path):
    """``systemd-analyze verify`` checks the unit's directives and that ExecStart/ExecStartPre
    are executables: the unit as shipped, with the wheel's virtualenv where /opt has it."""
    unit = UNIT.read_text()
    assert f"ExecStart={UNIT_VENV}/bin/partner-service serve" in unit
    assert f"ExecStartPre={UNIT_VENV}/bin/partner-service db upgrade" in unit
    installed = tmp_path / "partner-service.service"
    installed.write_text(unit.replace(UNIT_VENV, str(venv)))
    done = subprocess.run(["systemd-analyze", "verify", str(installed)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and "partner-service.service" not in done.stdout + done.stderr, done.stderr
