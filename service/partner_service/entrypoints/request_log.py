"""One log line per request, which is also the audit line of every SOAP call.

The WSGI front opens a ``RequestRecord`` per request and logs it when the answer is
ready; spyne's events fill in what only the SOAP layer knows (operation, club, who
called, the fault code). The line carries identifiers and outcomes only: never a body,
a password, a digest or a person's field. JSON when ``log_format = "json"``; in text, a value
that is not a plain token is written as a JSON string (quoted, escaped), so no value can
forge another field (``username=x outcome=ok`` stays one value). ``remote_addr`` is the
caller's address (behind a trusted proxy, the one it names: ``proxies``).
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from dataclasses import asdict, dataclass, field

from .soap.namespaces import TNS, WSSE

log = logging.getLogger("partner_service.requests")

RECORD_KEY = "partner.request"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_QUIET_ROUTES = {"healthz", "readyz"}
_PLAIN = re.compile(r"[A-Za-z0-9._:/@+-]+")


@dataclass
class RequestRecord:
    request_id: str
    method: str
    route: str
    remote_addr: str | None = None
    status: int = 0
    operation: str | None = None
    club: int | None = None
    client: int | None = None
    credential: int | None = None
    username: str | None = None
    outcome: str = "ok"
    fault: str | None = None
    bytes_in: int | None = None
    duration_ms: float = 0.0
    started: float = field(default_factory=time.perf_counter, repr=False)

    @classmethod
    def open(cls, environ, route: str) -> RequestRecord:
        """The caller's ``X-Request-ID`` when it is a plain token, else a new one."""
        given = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        record = cls(request_id, environ.get("REQUEST_METHOD", "GET")[:10], route,
                     environ.get("REMOTE_ADDR") or None)
        environ[RECORD_KEY] = record
        return record

    def failed(self, code: str, header: list | None = None) -> None:
        """Answered with a fault of ``code``; a refused token's claimed username (in the
        request's ``header`` elements) is kept for the audit of who is tried."""
        self.outcome, self.fault = "fault", code
        if code.startswith("wsse:") and self.username is None and header:
            self.username = _claimed_username(header)

    def finish(self) -> None:
        self.duration_ms = round((time.perf_counter() - self.started) * 1000, 3)
        if (self.status >= 400 or not self.status) and self.outcome == "ok":
            self.outcome = "error"

    def fields(self) -> dict:
        values = asdict(self)
        values.pop("started")
        return {k: v for k, v in values.items() if v is not None}

    def write(self) -> None:
        level = logging.DEBUG if self.route in _QUIET_ROUTES and self.status < 400 else logging.INFO
        if not log.isEnabledFor(level):
            return
        fields = self.fields()
        text = " ".join(f"{k}={_text_value(v)}" for k, v in fields.items())
        log.log(level, "request %s", text, extra={"request": fields})


def _text_value(value) -> str:
    """A plain token as it is; anything else quoted and escaped as a JSON string."""
    text = str(value)
    return text if _PLAIN.fullmatch(text) else json.dumps(text)


# --- filled in from spyne's events ---------------------------------------------------------


def _record(ctx) -> RequestRecord | None:
    transport = getattr(ctx, "transport", None)
    environ = getattr(transport, "req_env", None) or {}
    return environ.get(RECORD_KEY)


def _operation(ctx, known: frozenset[str]) -> str | None:
    """The operation's name; a name the caller made up is never logged or used as a label."""
    descriptor = getattr(ctx, "descriptor", None)
    if descriptor is not None:
        return descriptor.name
    requested = ctx.method_request_string or ""
    if requested.startswith(f"{{{TNS}}}"):
        name = requested.split("}", 1)[1]
        if name in known:
            return name
    return "unknown" if requested else None


def _principal(ctx, record: RequestRecord) -> None:
    principal = getattr(getattr(ctx, "udc", None), "principal", None)
    if principal is None:
        return
    record.client = principal.client_id
    record.credential = principal.credential_id
    record.username = principal.username or None


def _claimed_username(header: list) -> str | None:
    """The UsernameToken's Username of a refused call: the audit needs to see who is tried."""
    for element in header:
        for username in element.iter(f"{{{WSSE}}}Username"):
            text = (username.text or "").strip()
            return text[:64] if text.isprintable() else "(unprintable)"
    return None


def fault_code(fault) -> str:
    code = str(fault.faultcode or "Server")
    if code.startswith(f"{{{WSSE}}}"):
        return f"wsse:{code.split('}', 1)[1]}"
    return code.split("}", 1)[-1]


def observe_spyne(application, known_operations: frozenset[str]) -> None:
    """Have spyne's events fill the request's record."""

    def on_call(ctx):
        record = _record(ctx)
        if record is None:
            return
        record.operation = _operation(ctx, known_operations)
        club = getattr(ctx.in_object, "ClubId", None)
        record.club = club if isinstance(club, int) else None
        _principal(ctx, record)

    def on_fault(ctx):
        record = _record(ctx)
        if record is None or ctx.out_error is None:
            return
        record.operation = record.operation or _operation(ctx, known_operations)
        _principal(ctx, record)
        record.failed(fault_code(ctx.out_error), getattr(ctx, "in_header_doc", None))

    application.event_manager.add_listener("method_call", on_call)
    application.event_manager.add_listener("method_exception_object", on_fault)


# --- formatting ----------------------------------------------------------------------------


class EnvironmentFilter(logging.Filter):
    """Stamps every record with the deployment's environment (production or sandbox), so that no
    log line of a test site can be taken for production's."""

    def __init__(self, environment: str = "production"):
        super().__init__()
        self.environment = environment

    def filter(self, record: logging.LogRecord) -> bool:
        record.environment = self.environment
        return True


class JsonFormatter(logging.Formatter):
    """A JSON object per line: time, level, logger, pid, environment, message, the request's fields."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"), "level": record.levelname.lower(),
                "logger": record.name, "pid": record.process,
                "environment": getattr(record, "environment", "production")}
        request = getattr(record, "request", None)
        if request is not None:
            line["event"] = "request"
            line.update(request)
        else:
            line["message"] = record.getMessage()
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def logging_config(log_format: str, level: str, environment: str = "production") -> dict:
    """``logging.config.dictConfig`` for gunicorn's master and workers (``logconfig_dict``); every
    line names the environment."""
    formatter = "json" if log_format == "json" else "text"
    console = {"class": "logging.StreamHandler", "formatter": formatter, "stream": "ext://sys.stderr",
               "filters": ["environment"]}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"environment": {"()": f"{__name__}.EnvironmentFilter", "environment": environment}},
        "formatters": {
            "text": {"format": "%(asctime)s [%(process)d] %(levelname)s %(environment)s %(name)s: %(message)s"},
            "json": {"()": f"{__name__}.JsonFormatter"},
        },
        "handlers": {"console": console},
        "root": {"level": level.upper(), "handlers": ["console"]},
        "loggers": {
            "gunicorn.error": {"level": level.upper(), "handlers": ["console"], "propagate": False},
            # Our request line replaces gunicorn's access log (it knows the operation and outcome).
            "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
        },
    }
