"""Credentials and the replay cache on SQLite and PostgreSQL; the credential and turnup commands."""

from __future__ import annotations

import os
import tomllib
from datetime import datetime, timedelta

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from cryptography.fernet import Fernet
from partner_client.sheet import parse_sheet
from partner_service.adapters.credential_store import PurgeSchedule, seen_nonces
from partner_service.adapters.db import make_engine
from partner_service.adapters.secrets import SecretKeeper, SecretKeyError, load_key
from partner_service.app import people_store
from partner_service.domain.credentials import TEXT, UsernameToken
from partner_service.domain.errors import NotFound, ValidationError
from partner_service.domain.fields import Action, UserType
from partner_service.domain.people import PersonChanges
from partner_service.entrypoints.cli import main
from partner_service.service_layer import credentials
from partner_service.service_layer.auth import Authenticator
from partner_service.service_layer.people import SaveRequest, save_person
from partner_service.service_layer.unit_of_work import SqlAlchemyUnitOfWork, session_factory
from sqlalchemy import select

from ..support.nonces import Nonce

NOW = datetime(2026, 11, 28, 12, 0, 0)


@pytest.fixture
def key():
    return Fernet.generate_key()


@pytest.fixture
def keeper(key):
    return SecretKeeper(key, PasswordHasher(memory_cost=1024))


def second_uow_factory(database_url):
    """A unit of work on a separate engine (its own pool): another process, as far as the DB knows."""
    sessions = session_factory(make_engine(database_url))
    return lambda: SqlAlchemyUnitOfWork(sessions)


def test_a_nonce_is_new_once_across_engines(uow_factory, database_url):
    other = second_uow_factory(database_url)
    until = NOW + timedelta(seconds=300)
    with uow_factory() as uow:
        assert uow.nonces.remember("k" * 64, until, NOW)
        uow.commit()
    with other() as uow:
        assert not uow.nonces.remember("k" * 64, until, NOW)
        assert uow.nonces.remember("j" * 64, until, NOW)
        uow.commit()


def test_an_expired_nonce_is_purged_or_taken_over(uow_factory):
    with uow_factory() as uow:
        uow.session.info["nonce_purge"] = PurgeSchedule(every=0)  # due now
        uow.nonces.remember("a" * 64, NOW, NOW - timedelta(seconds=1))
        uow.nonces.remember("b" * 64, NOW + timedelta(seconds=300), NOW - timedelta(seconds=1))
        uow.commit()
    with uow_factory() as uow:
        uow.session.info["nonce_purge"] = PurgeSchedule(every=0)  # due now
        assert uow.nonces.remember("c" * 64, NOW + timedelta(seconds=300), NOW)
        uow.commit()
    with uow_factory() as uow:
        keys = set(uow.session.scalars(select(seen_nonces.c.key)))
        assert keys == {"b" * 64, "c" * 64}  # "a" expired and was purged
        assert uow.nonces.remember("a" * 64, NOW + timedelta(seconds=300), NOW)
        assert not uow.nonces.remember("b" * 64, NOW + timedelta(seconds=300), NOW)


def test_single_saves_purge_the_nonces_whose_time_is_over(engine, uow_factory, world):
    """The saves' own statements purge as NonceCache does, with the instant stored the way the
    table stores it (on SQLite, text with microseconds): a nonce whose time ends now is gone."""
    with uow_factory() as uow:
        uow.nonces.remember("a" * 64, NOW, NOW - timedelta(seconds=1))
        uow.nonces.remember("b" * 64, NOW + timedelta(seconds=300), NOW - timedelta(seconds=1))
        uow.commit()
    store = people_store(engine, uow_factory, PurgeSchedule(every=0))  # due at every save
    outcome = save_person(store, SaveRequest.single(
        world.acme, world.acme_club_ids[0], UserType.PROSPECT,
        PersonChanges({"FirstName": "Pia", "LastName": "Purge"}, external_id="P1"),
        nonce=Nonce("c" * 64, NOW + timedelta(seconds=300), NOW)))
    assert outcome.action is Action.INSERTED
    with uow_factory() as uow:
        assert set(uow.session.scalars(select(seen_nonces.c.key))) == {"b" * 64, "c" * 64}


def test_credentials_are_added_listed_rotated_and_revoked(uow_factory, world, keeper):
    acme = world.acme.client_id
    issued = credentials.add_credential(uow_factory(), keeper, acme, "acme-sync", [world.acme_club_ids[1]])
    assert issued.credential.club_ids == (world.acme_club_ids[1],)
    everyone = credentials.add_credential(uow_factory(), keeper, acme)
    assert everyone.credential.club_ids is None and everyone.password != issued.password
    assert [c.username for c in credentials.list_credentials(uow_factory(), acme)] == [
        "acme-sync", everyone.credential.username]
    rotated = credentials.rotate_credential(uow_factory(), keeper, "acme-sync", 60)
    assert rotated.password != issued.password
    assert rotated.credential.previous_valid_until is not None
    assert not credentials.revoke_credential(uow_factory(), "acme-sync").active
    with uow_factory() as uow:
        stored = uow.credentials.by_username("acme-sync")
        assert issued.password.encode() not in stored.secret_sealed
        assert issued.password not in stored.secret_hash and stored.secret_hash.startswith("$argon2id$")
        assert keeper.unseal(stored.secrets(datetime.now())[0][1]) == rotated.password


def test_bad_credential_requests_are_refused(uow_factory, world, keeper):
    credentials.add_credential(uow_factory(), keeper, world.acme.client_id, "taken")
    with pytest.raises(ValidationError):
        credentials.add_credential(uow_factory(), keeper, world.acme.client_id, "taken")
    with pytest.raises(ValidationError):
        credentials.add_credential(uow_factory(), keeper, world.acme.client_id,
                                   club_ids=list(world.other_club_ids))
    with pytest.raises(NotFound):
        credentials.add_credential(uow_factory(), keeper, 999)
    with pytest.raises(NotFound):
        credentials.revoke_credential(uow_factory(), "nobody")


def test_last_use_is_stored_and_a_failure_locks_nothing(uow_factory, world, keeper):
    issued = credentials.add_credential(uow_factory(), keeper, world.acme.client_id, "acme")
    auth = Authenticator(keeper)
    with pytest.raises(Exception, match="could not be authenticated"):
        auth.authenticate(uow_factory(), UsernameToken("acme", "wrong", TEXT), NOW)
    with uow_factory() as uow:  # failures slow down their address (the WSGI front), not the username
        assert (uow.credentials.by_username("acme").failures, uow.credentials.by_username("acme").locked_until
                ) == (0, None)
    principal = auth.authenticate(uow_factory(), UsernameToken("acme", issued.password, TEXT), NOW)
    assert (principal.client_id, principal.club_ids) == (world.acme.client_id, None)
    with uow_factory() as uow:
        stored = uow.credentials.by_username("acme")
        assert (stored.failures, stored.last_used_at) == (0, NOW)


def test_the_demo_tenant_is_made_once_and_reused(uow_factory, keeper):
    first = credentials.ensure_demo_tenant(uow_factory(), keeper, "https://localhost:8443/soap")
    again = credentials.ensure_demo_tenant(uow_factory(), keeper, "https://localhost:8443/soap")
    assert first == again
    assert (first.username, len(first.club_ids), first.scheme) == ("demo", 1, "https")
    with uow_factory() as uow:
        assert len(uow.staff.list(first.client_id, None)) == 2
        assert [s.name for s in uow.lead_sources.list(first.client_id)] == ["Walk-in"]
    token = UsernameToken("demo", first.password, TEXT)
    principal = Authenticator(keeper).authenticate(uow_factory(), token, NOW)
    assert principal.client_id == first.client_id


def cli(database_url, tmp_path, key, *args):
    env = {"PARTNER_DATABASE_URL": database_url, "PARTNER_DATA_DIR": str(tmp_path),
           "PARTNER_SECRET_KEY": key.decode(), "PARTNER_AUTH_HASH_MEMORY_KIB": "1024"}
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_turnup_prints_a_sheet_that_authenticates(engine, database_url, uow_factory, tmp_path, key, keeper):
    out = cli(database_url, tmp_path, key, "turnup", "--client", "Acme Fitness", "--clubs", "3",
              "--url", "https://partner.example.com/soap")
    sheet = tomllib.loads(out)
    assert set(sheet) == {"client_id", "club_ids", "url", "scheme", "username", "password", "password_type",
                          "options"}
    assert (len(sheet["club_ids"]), sheet["scheme"], sheet["password_type"]) == (3, "https", "digest")
    principal = Authenticator(keeper).authenticate(
        uow_factory(), UsernameToken(sheet["username"], sheet["password"], TEXT), NOW)
    assert principal.client_id == sheet["client_id"]
    listed = cli(database_url, tmp_path, key, "credential", "list")
    assert sheet["username"] in listed and sheet["password"] not in listed
    assert parse_sheet(out).club_ids == tuple(sheet["club_ids"])  # what partner-client reads
    again = CliRunner().invoke(main, ["turnup", "--client", "Acme Fitness", "--clubs", "1",
                                      "--url", sheet["url"]],
                               env={"PARTNER_DATABASE_URL": database_url, "PARTNER_SECRET_KEY": key.decode()})
    assert again.exit_code == 1 and "exists already" in again.output


def test_credential_commands_show_a_secret_once(engine, database_url, tmp_path, key, world):
    out = cli(database_url, tmp_path, key, "credential", "add", "--client", str(world.acme.client_id),
              "--username", "acme-sync", "--club", str(world.acme_club_ids[0]))
    password = out.split("password = ", 1)[1].strip()
    rotated = cli(database_url, tmp_path, key, "credential", "rotate", "acme-sync", "--grace", "0")
    assert password not in rotated and "password = " in rotated
    listed = cli(database_url, tmp_path, key, "credential", "list", "--client", str(world.acme.client_id))
    assert "acme-sync\tactive" in listed and password not in listed
    cli(database_url, tmp_path, key, "credential", "revoke", "acme-sync")
    assert "acme-sync\trevoked" in cli(database_url, tmp_path, key, "credential", "list")


def test_server_key_sources(tmp_path, monkeypatch):
    made = load_key(data_dir=tmp_path)
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600
    assert load_key(data_dir=tmp_path) == made                      # reused, not replaced
    other = Fernet.generate_key()
    assert load_key(other.decode(), data_dir=tmp_path) == other     # the environment wins
    key_file = tmp_path / "from-file.key"
    key_file.write_bytes(other + b"\n")
    assert load_key(key_file=str(key_file)) == other
    with pytest.raises(SecretKeyError) as caught:
        load_key("not-a-key-but-a-secret")
    assert "not-a-key-but-a-secret" not in str(caught.value)
    with pytest.raises(SecretKeyError):
        SecretKeeper(other).unseal(SecretKeeper(made).seal("pw"))  # another key opens nothing
    assert os.access(tmp_path / "secret.key", os.R_OK)
