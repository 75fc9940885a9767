"""Every SOAP stack the interop tests drive, by name: ``STACKS[name](wsdl=, username=,
password=, steps=) -> results`` (the format is described in ``scenario.py``)."""

from __future__ import annotations

import json
import shutil
import subprocess
from functools import partial
from pathlib import Path

from . import python_clients

HERE = Path(__file__).parent
NODE_PROJECT = HERE / "node"


def _external(command: list[str], *, wsdl: str, username: str, password: str, password_type: str,
              steps: list[dict]) -> dict:
    """Run a driver of another language: the request as JSON on stdin, results as JSON on stdout."""
    executable = shutil.which(command[0])
    assert executable, f"{command[0]} is not installed: .ci/run installs it"
    request = {"wsdl": wsdl, "username": username, "password": password,
               "password_type": password_type, "steps": steps}
    done = subprocess.run([executable, *command[1:]], input=json.dumps(request), capture_output=True,
                          text=True, timeout=120, cwd=HERE)
    assert done.returncode == 0, f"{command[0]} driver failed:\n{done.stderr}{done.stdout}"
    return json.loads(done.stdout)


def _node(**kwargs) -> dict:
    assert (NODE_PROJECT / "node_modules" / "soap").is_dir(), \
        "node-soap is not installed: run `npm ci --prefix tests/interop/node` (.ci/run does)"
    return _external(["node", str(NODE_PROJECT / "client.js")], **kwargs)


STACKS = {
    "partner_client-digest": partial(python_clients.run_partner_client, password_type="digest"),
    "zeep-digest": partial(python_clients.run_zeep, password_type="digest"),
    "suds-text": partial(python_clients.run_suds, password_type="text"),
    "node-soap-digest": partial(_node, password_type="digest"),
    "php-soapclient-digest": partial(_external, ["php", str(HERE / "php" / "client.php")],
                                     password_type="digest"),
    "php-soapclient-text": partial(_external, ["php", str(HERE / "php" / "client.php")],
                                   password_type="text"),
}
