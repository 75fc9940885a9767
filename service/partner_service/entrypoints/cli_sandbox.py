"""``partner-service sandbox reset --client ID``: the test site's nightly reset (a sandbox only).

deploy/partner-sandbox-reset.{service,timer} run it every night for each client listed in
``PARTNER_SANDBOX_RESET_CLIENTS``; refused in production, where people are real.
"""

from __future__ import annotations

import click

from ..config import Settings
from ..service_layer import sandbox as service
from .cli_support import open_people, run


@click.group()
def sandbox() -> None:
    """The test site (PARTNER_ENVIRONMENT=sandbox): demo data and resets."""


@sandbox.command("reset")
@click.option("--client", "client_ids", type=int, required=True, multiple=True,
              help="The client to reset (repeat for several).")
@click.pass_obj
def sandbox_reset(settings: Settings, client_ids: tuple[int, ...]) -> None:
    """Remove the client's people, history, staff, lead sources and nonces, and seed the demo data
    again; its credentials stay as they are."""
    run(lambda: service.require_sandbox(settings.environment))
    for client_id in client_ids:
        removed, demo = run(lambda client_id=client_id: service.reset(*open_people(settings),
                                                                      settings.environment, client_id))
        gone = ", ".join(f"{count} {name}" for name, count in removed.items())
        click.echo(f"client {client_id}: removed {gone}; seeded {demo.staff} staff, "
                   f"{len(demo.lead_sources)} lead sources, {len(demo.people)} people")
