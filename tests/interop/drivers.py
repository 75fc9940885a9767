"""Every SOAP stack the interop tests drive, by name: ``STACKS[name](wsdl=, username=,
password=, steps=) -> results`` (the format is described in ``scenario.py``)."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import urllib.request
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path

from lxml import etree

from ..support import serve_in_thread
from . import python_clients

HERE = Path(__file__).parent
NODE_PROJECT = HERE / "node"
JAVA_DRIVER = HERE / "java"
DOTNET_DRIVER = HERE / "dotnet"
WSDL = HERE.parents[1] / "wsdl" / "partner.wsdl"
# Debian's jaxws: jaxws-rt.jar's manifest lists the rest of the runtime (JAXB, SAAJ, ...)
# except javax.activation, which Java 11+ no longer ships.
JAXWS_CLASSPATH = [Path("/usr/share/java/jaxws-rt.jar"), Path("/usr/share/java/javax.activation.jar")]


def _exchange(command: list[str], *, wsdl: str, username: str, password: str, password_type: str,
              steps: list[dict]) -> tuple[dict, str]:
    """Run a driver of another language: the request as JSON on stdin, results as JSON on stdout;
    answers the results and what the driver logged on stderr."""
    executable = shutil.which(command[0])
    assert executable, f"{command[0]} is not installed: .ci/run installs it"
    request = {"wsdl": wsdl, "username": username, "password": password,
               "password_type": password_type, "steps": steps}
    done = subprocess.run([executable, *command[1:]], input=json.dumps(request), capture_output=True,
                          text=True, timeout=120, cwd=HERE)
    assert done.returncode == 0, f"{command[0]} driver failed:\n{done.stderr}{done.stdout}"
    return json.loads(done.stdout), done.stderr


def _external(command: list[str], **kwargs) -> dict:
    return _exchange(command, **kwargs)[0]


def _node(**kwargs) -> dict:
    assert (NODE_PROJECT / "node_modules" / "soap").is_dir(), \
        "node-soap is not installed: run `npm ci --prefix tests/interop/node` (.ci/run does)"
    return _external(["node", str(NODE_PROJECT / "client.js")], **kwargs)


@dataclass(frozen=True)
class JavaBuild:
    sources: Path  # what wsimport generated, package com.example.partner
    classpath: str
    workdir: tempfile.TemporaryDirectory  # held by the cache, so removed only when the process exits


@cache
def java_build() -> JavaBuild:
    """wsimport the committed WSDL and javac it with the driver: once per test process (it takes ~15 s)."""
    wsimport = shutil.which("wsimport")
    assert wsimport and all(jar.is_file() for jar in JAXWS_CLASSPATH), \
        "JAX-WS RI (wsimport) is not installed: run tests/interop/install.sh (.ci/run does)"
    workdir = tempfile.TemporaryDirectory(prefix="partner-jaxws-")
    sources, classes = Path(workdir.name, "src"), Path(workdir.name, "classes")
    sources.mkdir()  # wsimport writes into an existing directory only
    done = subprocess.run([wsimport, "-keep", "-Xnocompile", "-quiet", "-d", str(sources),
                           "-p", "com.example.partner", str(WSDL)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"wsimport refused the WSDL:\n{done.stderr}{done.stdout}"
    jars = ":".join(str(jar) for jar in JAXWS_CLASSPATH)
    java_files = [*sorted(sources.rglob("*.java")), *sorted(JAVA_DRIVER.glob("*.java"))]
    done = subprocess.run(["javac", "-nowarn", "-encoding", "UTF-8", "-cp", jars, "-d", str(classes),
                           *map(str, java_files)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"javac failed:\n{done.stderr}{done.stdout}"
    return JavaBuild(sources=sources / "com" / "example" / "partner", classpath=f"{classes}:{jars}",
                     workdir=workdir)


def jaxws_command() -> list[str]:
    options = ["-XX:TieredStopAtLevel=1",  # a short run: the quick JIT starts it ~1 s sooner
               # naming SAAJ's factory saves a deprecation warning per message on stderr
               "-Djavax.xml.soap.SAAJMetaFactory=com.sun.xml.messaging.saaj.soap.SAAJMetaFactoryImpl"]
    return ["java", *options, "-cp", java_build().classpath, "PartnerCheck"]


def jaxws_logged(**kwargs) -> tuple[dict, str]:
    """The JAX-WS RI driver's results and its log (where the RI reports the WSDL's policy)."""
    return _exchange(jaxws_command(), **kwargs)


def _jaxws(**kwargs) -> dict:
    return _external(jaxws_command(), **kwargs)


@dataclass(frozen=True)
class DotnetBuild:
    sources: Path  # what the generator wrote
    program: Path  # the compiled driver
    workdir: tempfile.TemporaryDirectory  # held by the cache, so removed only when the process exits


def _run_tool(command: list[str], what: str, **kwargs) -> None:
    executable = shutil.which(command[0])
    assert executable, f"{command[0]} is not installed: run tests/interop/install.sh (.ci/run does)"
    done = subprocess.run([executable, *command[1:]], capture_output=True, text=True, timeout=300, **kwargs)
    assert done.returncode == 0, f"{what} failed:\n{done.stderr}{done.stdout}"


def _compile_dotnet(workdir: tempfile.TemporaryDirectory, generated: Path, driver: str,
                    references: list[str]) -> DotnetBuild:
    program = Path(workdir.name, f"{driver}.exe")
    shared = ("Scenario.cs", "UsernameToken.cs", f"{driver}.cs")
    sources = [generated, *(DOTNET_DRIVER / name for name in shared)]
    _run_tool(["mcs", "-nologo", "-nowarn:0618", "-r:System.Web.Extensions", "-r:System.Runtime.Serialization",
               *(f"-r:{assembly}" for assembly in references), f"-out:{program}", *map(str, sources)], "mcs")
    return DotnetBuild(sources=generated, program=program, workdir=workdir)


@cache
def asmx_build(wsdl: Path = WSDL) -> DotnetBuild:
    """``wsdl`` (Mono's wsdl.exe) makes an ASMX proxy of a WSDL file, compiled with the driver once
    per test process (about 2 s)."""
    workdir = tempfile.TemporaryDirectory(prefix="partner-asmx-")
    generated = Path(workdir.name, "PartnerService.cs")
    _run_tool(["wsdl", "-nologo", "-namespace:Partner.Asmx", f"-out:{generated}", str(wsdl)], "wsdl")
    return _compile_dotnet(workdir, generated, "AsmxCheck", ["System.Web.Services"])


def served_schema(wsdl_url: str) -> bytes:
    """The ``xs:schema`` of a served ``?wsdl``, as a schema document of its own."""
    with urllib.request.urlopen(wsdl_url, timeout=30) as response:
        root = etree.fromstring(response.read())
    return etree.tostring(root.find("{http://schemas.xmlsoap.org/wsdl/}types/{http://www.w3.org/2001/XMLSchema}schema"))


def wcf_build(wsdl_url: str) -> DotnetBuild:
    """The WCF driver for the schema a service serves (every test serves the same one, on a port
    of its own, so it is built once per test process)."""
    return _wcf_build(served_schema(wsdl_url))


@cache
def _wcf_build(schema: bytes) -> DotnetBuild:
    """``xsd`` (Mono's xsd.exe) makes XmlSerializer classes of the schema, compiled with the
    WCF driver (about 2 s)."""
    workdir = tempfile.TemporaryDirectory(prefix="partner-wcf-")
    Path(workdir.name, "partner.xsd").write_bytes(schema)
    _run_tool(["xsd", "partner.xsd", "/classes", "/namespace:Partner.Wcf"], "xsd", cwd=workdir.name)
    return _compile_dotnet(workdir, Path(workdir.name, "partner.cs"), "WcfCheck",
                           ["System.ServiceModel", "System.Xml"])


def svcutil_proxy(wsdl_url: str, workdir: Path) -> Path:
    """Mono's ``svcutil`` on a served ``?wsdl`` (it takes URLs only); answers the source it wrote."""
    generated = workdir / "PartnerServiceClient.cs"
    _run_tool(["svcutil", "--noLogo", "--noConfig", f"--out={generated}", wsdl_url], "svcutil", cwd=workdir)
    return generated


def svcutil_proxy_of(wsdl: str, workdir: Path) -> Path:
    """``svcutil_proxy`` of a WSDL given as text, served on a loopback port while svcutil runs;
    anything but GET gets 405, as a static file server answers svcutil's WS-MEX request."""
    body = wsdl.encode()

    def app(environ, start_response):
        if environ["REQUEST_METHOD"] != "GET":
            start_response("405 Method Not Allowed", [("Content-Length", "0")])
            return [b""]
        start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8"),
                                  ("Content-Length", str(len(body)))])
        return [body]

    with serve_in_thread(app) as url:
        return svcutil_proxy(f"{url}/partner.wsdl", workdir)


def mono_policy_import(wsdl: Path, workdir: Path) -> list[str]:
    """What Mono's WCF ``WsdlImporter`` (svcutil's) makes of a WSDL: ``PolicyImport.cs`` prints it."""
    program = workdir / "PolicyImport.exe"
    _run_tool(["mcs", "-nologo", "-r:System.ServiceModel", "-r:System.Web.Services", f"-out:{program}",
               str(DOTNET_DRIVER / "PolicyImport.cs")], "mcs")
    done = subprocess.run(["mono", str(program), str(wsdl)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def run_mono(build: DotnetBuild, **kwargs) -> dict:
    return _external(["mono", "--debug", str(build.program)], **kwargs)


def _asmx(**kwargs) -> dict:
    return run_mono(asmx_build(), **kwargs)


def _wcf(**kwargs) -> dict:
    return run_mono(wcf_build(kwargs["wsdl"]), **kwargs)


STACKS = {
    "partner_client-digest": partial(python_clients.run_partner_client, password_type="digest"),
    "zeep-digest": partial(python_clients.run_zeep, password_type="digest"),
    "suds-text": partial(python_clients.run_suds, password_type="text"),
    "node-soap-digest": partial(_node, password_type="digest"),
    "php-soapclient-digest": partial(_external, ["php", str(HERE / "php" / "client.php")],
                                     password_type="digest"),
    "php-soapclient-text": partial(_external, ["php", str(HERE / "php" / "client.php")],
                                   password_type="text"),
    "jaxws-ri-digest": partial(_jaxws, password_type="digest"),
    "asmx-digest": partial(_asmx, password_type="digest"),
    "asmx-text": partial(_asmx, password_type="text"),
    "wcf-digest": partial(_wcf, password_type="digest"),
    "wcf-text": partial(_wcf, password_type="text"),
}
