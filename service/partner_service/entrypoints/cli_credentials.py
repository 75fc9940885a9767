"""``partner-service credential add|list|revoke|rotate`` and ``partner-service turnup``.

A password is printed once, when it is made (add, rotate, turnup), and never again: only
its hash and a copy sealed with the server key (adapters/secrets.py) are stored.
"""

from __future__ import annotations

from dataclasses import replace

import click

from ..config import Settings
from ..security import secret_keeper
from ..service_layer import credentials as service
from ..service_layer import sandbox
from .cli_support import open_people, open_uow, run


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else "-"


@click.group()
def credential() -> None:
    """WS-Security credentials of the Connector (one client, all or some of its clubs)."""


@credential.command("add")
@click.option("--client", "client_id", type=int, required=True)
@click.option("--username", default=None, help="Default: client<ID>-<random>.")
@click.option("--club", "club_ids", type=int, multiple=True, help="Limit to this club (repeat); default all.")
@click.pass_obj
def credential_add(settings: Settings, client_id, username, club_ids) -> None:
    """Make a credential; prints its username and password (shown this once)."""
    issued = run(lambda: service.add_credential(open_uow(settings), secret_keeper(settings), client_id,
                                                 username, list(club_ids) or None))
    click.echo(f"username = {issued.credential.username}\npassword = {issued.password}")
    click.echo("The password is shown this once; it cannot be displayed again.", err=True)


@credential.command("list")
@click.option("--client", "client_id", type=int, default=None)
@click.pass_obj
def credential_list(settings: Settings, client_id) -> None:
    """Credentials (never their secrets): state, clubs, created, last used, grace, lock."""
    click.echo("id\tclient\tusername\tstate\tclubs\tcreated\tlast_used\tprevious_until\tlocked_until")
    for view in run(lambda: service.list_credentials(open_uow(settings), client_id)):
        clubs = "all" if view.club_ids is None else ",".join(map(str, view.club_ids))
        click.echo("\t".join([str(view.id), str(view.client_id), view.username,
                              "active" if view.active else "revoked", clubs, _when(view.created_at),
                              _when(view.last_used_at), _when(view.previous_valid_until),
                              _when(view.locked_until)]))


@credential.command("revoke")
@click.argument("username")
@click.pass_obj
def credential_revoke(settings: Settings, username) -> None:
    """Refuse this credential from now on (every process within PARTNER_AUTH_CACHE_SECONDS)."""
    view = run(lambda: service.revoke_credential(open_uow(settings), username))
    click.echo(f"revoked {view.username}")


@credential.command("rotate")
@click.argument("username")
@click.option("--grace", type=click.IntRange(0, 90 * 86400), default=None,
              help="Seconds the old password stays valid (default PARTNER_AUTH_ROTATION_GRACE).")
@click.pass_obj
def credential_rotate(settings: Settings, username, grace) -> None:
    """A new password (shown this once); the old one works until the grace period ends."""
    grace = settings.auth_rotation_grace if grace is None else grace
    issued = run(lambda: service.rotate_credential(open_uow(settings), secret_keeper(settings), username,
                                                   grace))
    click.echo(f"username = {issued.credential.username}\npassword = {issued.password}")
    click.echo(f"The old password stays valid until {_when(issued.credential.previous_valid_until)}.",
               err=True)


@click.command()
@click.option("--client", "client_name", required=True, help="The new client's name.")
@click.option("--clubs", type=click.IntRange(1, 1000), required=True, help="How many clubs it has.")
@click.option("--url", required=True, help="The SOAP endpoint the Connector calls, https://HOST/soap.")
@click.option("--password-type", type=click.Choice(["digest", "text"]), default="digest", show_default=True)
@click.option("--seed-demo", is_flag=True, help="Sandbox only: also create the demo staff, lead sources and "
                                                 "people (docs/test-site.md).")
@click.pass_obj
def turnup(settings: Settings, client_name, clubs, url, password_type, seed_demo) -> None:
    """Create a client, its clubs and a credential; print the turn-up sheet (TOML)."""
    if seed_demo:
        run(lambda: sandbox.require_sandbox(settings.environment))  # before anything is created
    sheet = run(lambda: service.turnup(open_uow(settings), secret_keeper(settings), client_name, clubs, url,
                                        password_type))
    if settings.environment == sandbox.SANDBOX:
        sheet = replace(sheet, options={**sheet.options, "environment": sandbox.SANDBOX})
    if seed_demo:
        demo = run(lambda: sandbox.seed_demo(*open_people(settings), settings.environment, sheet.client_id))
        sheet = replace(sheet, options={**sheet.options, "demo_shared_staff_email": demo.shared_email,
                                        "demo_lead_sources": list(demo.lead_sources),
                                        "demo_people": list(demo.people)})
    click.echo(sheet.to_toml(), nl=False)


COMMANDS = (credential, turnup)
