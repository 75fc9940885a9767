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


def run_partner_client(wsdl: str, username: str, password: str, password_type: str, steps: list[dict]) -> dict:
    """The bundled client (``partner_client``): typed records in, typed results out."""
    import dataclasses
    import datetime
    import enum

    from partner_client import ConnectionSettings, Fault, PartnerClient
    from partner_client.wire import to_wire

    def typed(value, type_, item=None):
        """A step's wire-named dict as the generated dataclasses, dates and enums."""
        if value is None:
            return None
        if item is not None:
            return [typed(v, type_) for v in (value[item] if isinstance(value, dict) else value)]
        if dataclasses.is_dataclass(type_):
            return type_(**{f.name: typed(value.get(f.metadata["wire"]), f.metadata["type"], f.metadata["item"])
                            for f in dataclasses.fields(type_)})
        if type_ in (datetime.date, datetime.datetime):
            return type_.fromisoformat(value)
        if isinstance(type_, type) and issubclass(type_, enum.Enum):
            return type_(value)
        return value

    settings = ConnectionSettings(url=wsdl.removesuffix("?wsdl"), username=username, password=password,
                                  password_type=password_type, attempts=1)
    client = PartnerClient.connect(settings)

    def call(operation, args):
        spec = client.operations[operation]
        result = client.method(operation)(**{key: typed(args.get(part.wire), part.type, part.item)
                                            for key, part in spec.inputs.items()})
        return [to_wire(r) for r in result] if spec.output.many else to_wire(result)

    def fault_of(error):
        return {"code": error.code, "message": error.message} if isinstance(error, Fault) else None

    with client:
        return run_steps(steps, call, fault_of)
