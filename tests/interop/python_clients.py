"""The Python drivers of the scenario: plain zeep and suds-community, each built only from
the WSDL URL and credentials, as an integrator would (``scenario.py`` explains the format)."""

from __future__ import annotations

from collections.abc import Callable

from .scenario import OUTPUTS

Call = Callable[[str, dict], object]


def resolve(value, results: dict):
    """Replace ``"$Label.Path"`` references by values from earlier responses."""
    if isinstance(value, dict):
        return {k: resolve(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, results) for v in value]
    if isinstance(value, str) and value.startswith("$"):
        label, *path = value[1:].split(".")
        found = results[label]["response"]
        for key in path:
            found = found[key]
        return found
    return value


def run_steps(steps: list[dict], call: Call, fault_of: Callable[[Exception], dict | None]) -> dict:
    """Call each step; a stack's own fault exception becomes ``{"fault": ...}``."""
    results: dict = {}
    for step in steps:
        try:
            value = call(step["operation"], resolve(step["args"], results))
        except Exception as error:
            fault = fault_of(error)
            results[step["label"]] = {"fault": fault} if fault else {"error": repr(error)}
            continue
        # zeep and suds unwrap a one-child response wrapper; give it back its child's name.
        results[step["label"]] = {"response": {OUTPUTS[step["operation"]][0]: value}}
    return results


def run_zeep(wsdl: str, username: str, password: str, password_type: str, steps: list[dict]) -> dict:
    import zeep
    from zeep.helpers import serialize_object
    from zeep.transports import Transport
    from zeep.wsse.username import UsernameToken

    token = UsernameToken(username, password, use_digest=password_type == "digest")
    client = zeep.Client(wsdl, wsse=token, transport=Transport(timeout=10, operation_timeout=10))

    def call(operation, args):
        return serialize_object(getattr(client.service, operation)(**args), target_cls=dict)

    def fault_of(error):
        if isinstance(error, zeep.exceptions.Fault):
            return {"code": error.code, "message": error.message}
        return None

    return run_steps(steps, call, fault_of)


def run_suds(wsdl: str, username: str, password: str, password_type: str, steps: list[dict]) -> dict:
    """suds-community's own ``UsernameToken``: a text password with Nonce and Created
    (suds cannot compute a digest itself)."""
    from suds import WebFault
    from suds.cache import NoCache
    from suds.client import Client
    from suds.sudsobject import asdict
    from suds.wsse import Security, UsernameToken

    assert password_type == "text", "suds-community sends text passwords only"
    client = Client(wsdl, cache=NoCache(), timeout=10)

    def fresh_security() -> Security:
        # a new Nonce and Created on every call: the service refuses a replayed nonce
        security = Security()
        token = UsernameToken(username, password)
        token.setnonce()
        token.setcreated()
        security.tokens.append(token)
        return security

    def plain(value):
        if hasattr(value, "__keylist__"):
            return {k: plain(v) for k, v in asdict(value).items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    def call(operation, args):
        client.set_options(wsse=fresh_security())
        return plain(getattr(client.service, operation)(**args))

    def fault_of(error):
        if isinstance(error, WebFault):
            return {"code": error.fault.faultcode, "message": error.fault.faultstring}
        return None

    return run_steps(steps, call, fault_of)
