"""The package's names, and what importing it costs a program that uses little of it."""

from __future__ import annotations

import subprocess
import sys

import partner_client


def test_every_exported_name_is_the_package_s_own():
    for name in partner_client.__all__:
        value = getattr(partner_client, name)
        assert value.__module__.startswith("partner_client."), name
    assert set(partner_client.__all__) <= set(dir(partner_client))


def test_importing_the_package_loads_neither_zeep_nor_sqlalchemy():
    # The console script starts from the package: what it needs, it imports itself.
    probe = ("import sys, partner_client, partner_client.ns; "
             "print(sorted(m for m in ('zeep', 'sqlalchemy', 'requests', 'click') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"


def test_python_dash_m_runs_the_command_line():
    done = subprocess.run([sys.executable, "-m", "partner_client", "--help"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert "push" in done.stdout and "check" in done.stdout
