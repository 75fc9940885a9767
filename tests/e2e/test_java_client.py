"""The Java client library (client/java, issue 20) is built offline with Maven against Debian's
repository, passes its JUnit unit tests, and its integration tests pass against the real service
with real WS-Security credentials; then a program compiled against nothing but the jar calls
every operation and gets typed results and typed exceptions.

One test drives one Maven run (about 30 s): the services it needs are all started first. The
main service runs on a SQLite file (the client is what is tested here; the engines have their own
tests); ``Server`` comes from a tenant whose staff read fails unexpectedly, ``Server.Unavailable``
from a second app whose PostgreSQL connection is cut (a proxy, never the shared server). Maven and
a JDK are required: a missing tool fails the test (tests/interop/install.sh installs them).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from contextlib import ExitStack
from pathlib import Path

import pytest
import trustme
from partner_service.adapters import migrate
from partner_service.adapters.db import make_engine
from partner_service.service_layer import staff, tenants
from partner_service.service_layer.unit_of_work import SqlAlchemyUnitOfWork, session_factory

from ..support import postgres_database
from ..support_proxy import proxied
from .tls_front import tls_front
from .wsse_support import live_secure_app

JAVA_PROJECT = Path(__file__).parents[2] / "client" / "java"
STAFF_EMAIL = "jstaff@club.com"


def maven_offline(local_repository: Path) -> list[str]:
    """``mvn`` offline against /usr/share/maven-repo, with a throw-away local repository."""
    mvn = shutil.which("mvn")
    assert mvn, "Maven is not installed: run tests/interop/install.sh (.ci/run does)"
    return [mvn, "-B", "-o", "-s", str(JAVA_PROJECT / "offline-settings.xml"),
            "-Daether.offline.protocols=file", f"-Dmaven.repo.local={local_repository}"]


def unit_of_work_factory(engine):
    sessions = session_factory(engine)
    return lambda: SqlAlchemyUnitOfWork(sessions)


def surefire_totals(reports: Path) -> dict[str, int]:
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for report in reports.glob("TEST-*.xml"):
        suite = ET.parse(report).getroot()
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
    return totals


@pytest.fixture
def services(tmp_path, monkeypatch):
    """The properties the integration tests read: live services and real credentials."""
    with ExitStack() as stack:
        engine = make_engine(f"sqlite:///{tmp_path / 'partner.sqlite3'}")
        stack.callback(engine.dispose)
        migrate.upgrade(engine)
        uow_factory = unit_of_work_factory(engine)
        acme = tenants.create_client(uow_factory(), "Acme Fitness", 2)
        other = tenants.create_client(uow_factory(), "Other Gyms", 1)
        broken = tenants.create_client(uow_factory(), "Broken Gyms", 1)
        john = tenants.add_staff(uow_factory(), acme.id, STAFF_EMAIL, "John", "Staff")
        (tmp_path / "main").mkdir()
        (tmp_path / "down").mkdir()
        live = stack.enter_context(live_secure_app(engine, uow_factory, tmp_path / "main"))

        list_staff = staff.list_staff

        def fails_for_broken(uow, principal, club_id=None):
            if principal.client_id == broken.id:
                raise RuntimeError("an unexpected error, for the Server fault")
            return list_staff(uow, principal, club_id)

        monkeypatch.setattr(staff, "list_staff", fails_for_broken)

        database_url = stack.enter_context(postgres_database())
        proxy, proxied_url = stack.enter_context(proxied(database_url))
        direct = make_engine(database_url)
        stack.callback(direct.dispose)
        migrate.upgrade(direct)
        down_factory = unit_of_work_factory(direct)
        down_tenant = tenants.create_client(down_factory(), "Down Gyms", 1)
        through_proxy = make_engine(proxied_url)
        stack.callback(through_proxy.dispose)
        down = stack.enter_context(live_secure_app(through_proxy, down_factory, tmp_path / "down"))
        down_user, down_password = down.credential(down_tenant.id)
        proxy.cut()

        ca = trustme.CA()
        ca.cert_pem.write_to_path(str(tmp_path / "private-ca.pem"))
        tls_url = stack.enter_context(tls_front(int(live.url.rsplit(":", 1)[1]), ca))

        digest_user, digest_password = live.credential(acme.id)
        text_user, text_password = live.credential(acme.id)
        limited_user, limited_password = live.credential(acme.id, club_ids=[acme.club_ids[0]])
        broken_user, broken_password = live.credential(broken.id)
        yield {
            "url": f"{live.url}/soap", "club": acme.club_ids[0], "otherClub": acme.club_ids[1],
            "foreignClub": other.club_ids[0], "staffEmail": STAFF_EMAIL, "staffId": john.id,
            "digest.username": digest_user, "digest.password": digest_password,
            "text.username": text_user, "text.password": text_password,
            "limited.username": limited_user, "limited.password": limited_password,
            "broken.url": f"{live.url}/soap", "broken.username": broken_user,
            "broken.password": broken_password,
            "unavailable.url": f"{down.url}/soap", "unavailable.username": down_user,
            "unavailable.password": down_password,
            "tls.url": f"{tls_url}/soap", "tls.ca": str(tmp_path / "private-ca.pem"),
            "uow_factory": uow_factory, "client_id": acme.id,
        }


def write_properties(path: Path, values: dict) -> None:
    """A java.util.Properties file (ISO 8859-1, backslash escapes) of the str and int values."""
    lines = [f"{key}={str(value).replace(chr(92), chr(92) * 2)}" for key, value in values.items()
             if isinstance(value, str | int)]
    path.write_text("\n".join(lines) + "\n", encoding="latin-1")


@pytest.mark.slow
def test_the_java_library_builds_passes_its_tests_and_a_program_calls_every_operation(services, tmp_path):
    javac, java = shutil.which("javac"), shutil.which("java")
    assert javac and java, "a JDK is not installed: run tests/interop/install.sh (.ci/run does)"
    config = tmp_path / "partner-it.properties"
    write_properties(config, services)
    target = JAVA_PROJECT / "target"
    for reports in ("surefire-reports", "integration-reports"):  # only this run's results count
        shutil.rmtree(target / reports, ignore_errors=True)
    command = [*maven_offline(target / "m2"), f"-Dpartner.it.config={config}", "verify"]
    done = subprocess.run(command, cwd=JAVA_PROJECT, capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, f"mvn verify failed:\n{done.stdout[-12000:]}{done.stderr[-4000:]}"

    unit = surefire_totals(target / "surefire-reports")
    integration = surefire_totals(target / "integration-reports")
    assert unit["tests"] >= 30 and (unit["failures"], unit["errors"], unit["skipped"]) == (0, 0, 0), unit
    assert integration["tests"] == 7 and (integration["failures"], integration["errors"],
                                          integration["skipped"]) == (0, 0, 0), integration
    jar = target / "partner-client-1.0.0.jar"
    with zipfile.ZipFile(jar) as archive:
        manifest = archive.read("META-INF/MANIFEST.MF").decode()
        assert "Automatic-Module-Name: io.partnersoap.client" in manifest
        assert "io/partnersoap/client/partner.wsdl" in archive.namelist()  # bundled, never fetched
    with zipfile.ZipFile(target / "partner-client-1.0.0-sources.jar") as archive:
        assert "io/partnersoap/client/PartnerClient.java" in archive.namelist()
    with zipfile.ZipFile(target / "partner-client-1.0.0-javadoc.jar") as archive:
        assert any(name.endswith("io/partnersoap/client/PartnerClient.html") for name in archive.namelist())

    with services["uow_factory"]() as uow:
        zoe = uow.people.by_external_id(services["client_id"], "JAVA-IT-1")
        assert (zoe.first_name, zoe.last_name, zoe.mobile) == ("Zoë", "O'Brien <&>", None)
        assert uow.people.by_external_id(services["client_id"], "JAVA-IT-FORBIDDEN") is None
        assert uow.people.by_external_id(services["client_id"], "JAVA-IT-INVALID") is None
        assert uow.people.by_external_id(services["client_id"], "JAVA-IT-T7-9") is not None

    # A program compiled against the jar alone (public API only) calls every operation.
    classes = tmp_path / "example"
    done = subprocess.run([javac, "--release", "11", "-Werror", "-cp", str(jar), "-d", str(classes),
                           str(JAVA_PROJECT / "examples" / "ConnectorExample.java")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    done = subprocess.run([java, "-cp", os.pathsep.join([str(jar), str(classes)]), "ConnectorExample",
                           services["url"], services["digest.username"], services["digest.password"], "digest",
                           str(services["club"]), STAFF_EMAIL], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert services["digest.password"] not in done.stdout
    club, other_club, staff_id = services["club"], services["otherClub"], services["staffId"]
    expected = [r"SaveLeadSource INSERTED \d+ null", r"GetLeadSources [1-9]\d*", "GetStaffList 1",
                rf"GetStaffByEmail {staff_id} \[{club}, {other_club}\]",
                "GetStaffByEmail PartnerNotFoundException Client.NotFound",
                r"SaveProspect INSERTED (\d+) PROSPECT", "SaveProspect PartnerValidationException LeadOwnerId",
                r"SaveMember UPDATED (\d+) MEMBER", r"SaveExMember UPDATED (\d+) EX_MEMBER",
                r"SaveProspects INSERTED \d+ PROSPECT", r"SaveMembers INSERTED \d+ MEMBER",
                r"SaveExMembers INSERTED \d+ EX_MEMBER"]
    lines = done.stdout.splitlines()
    matches = [re.fullmatch(pattern, line) for pattern, line in zip(expected, lines, strict=False)]
    assert len(lines) == len(expected) and all(matches), done.stdout
    assert len({match.group(1) for match in matches if match.groups()}) == 1, "one person, converted twice"


def documented_method(text: str, signature: str) -> str:
    """A Java method from its signature to its closing brace, without its indentation."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if signature in line)
    indent = lines[start][:len(lines[start]) - len(lines[start].lstrip())]
    end = lines.index(f"{indent}}}", start)
    return "\n".join(line.removeprefix(indent) for line in lines[start:end + 1])


def test_the_readmes_private_ca_code_is_the_one_the_integration_tests_run():
    readme = (JAVA_PROJECT / "README.md").read_text()
    tested = (JAVA_PROJECT / "src/test/java/io/partnersoap/client/it/PartnerServiceIT.java").read_text()
    signature = "static SSLContext trusting(Path caFile)"
    assert documented_method(readme, signature) == documented_method(tested, signature)
