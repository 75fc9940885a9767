"""The turn-up sheet: what ``partner-service turnup`` prints and the Connector is given.

Contract "Turn-up sheet and command line": TOML with ``client_id``, ``club_ids``,
``url`` (the SOAP endpoint), ``scheme``, ``username``, ``password``, ``password_type``
(``digest`` or ``text``) and an ``[options]`` table; the seed's "Turnup" section asks
for the same (client ID, club IDs, connection information, custom options).

Options this client reads (others are kept in ``options`` untouched): ``verify``,
``ca_bundle``, ``connect_timeout``, ``read_timeout``, ``attempts``, ``backoff``,
``operations`` (skip reading ``?wsdl``), ``insecure_http``, ``batch_size``, ``links``
(the link store: a SQLAlchemy URL, or a SQLite file path relative to the sheet's folder;
default ``partner-client-links.sqlite3`` in the sheet's folder, so the links of a partner
stay with its sheet whatever the working directory).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .exceptions import ConfigurationError
from .settings import ConnectionSettings

_REQUIRED = {"client_id": int, "club_ids": list, "url": str, "username": str, "password": str}
_SETTING_OPTIONS = {"verify": bool, "ca_bundle": str, "connect_timeout": (int, float),
                    "read_timeout": (int, float), "attempts": int, "backoff": (int, float),
                    "insecure_http": bool}
_OTHER_OPTIONS = {"batch_size": int, "links": str}
LINKS_FILE = "partner-client-links.sqlite3"


@dataclass(frozen=True)
class TurnupSheet:
    client_id: int
    club_ids: tuple[int, ...]
    url: str
    scheme: str
    username: str
    password: str = field(repr=False)
    password_type: str = "digest"  # noqa: S105 (the UsernameToken password type, not a secret)
    options: dict[str, Any] = field(default_factory=dict)
    folder: Path | None = None  # where the sheet was read from

    @property
    def links_url(self) -> str:
        """The link store: ``[options] links`` (a URL, or a file relative to the sheet), else
        ``partner-client-links.sqlite3`` beside the sheet."""
        value = self.options.get("links") or LINKS_FILE
        if "://" in value:
            return value
        path = Path(value).expanduser()
        if not path.is_absolute():
            path = (self.folder or Path.cwd()) / path
        return f"sqlite:///{path.resolve()}"

    @property
    def partner_key(self) -> str:
        """How the link store tells partners apart: client ID at host."""
        return f"{self.client_id}@{urlsplit(self.url).netloc}"

    @property
    def batch_size(self) -> int:
        return int(self.options.get("batch_size", 200))

    def connection(self, **overrides: Any) -> ConnectionSettings:
        values: dict[str, Any] = {k: self.options[k] for k in _SETTING_OPTIONS if k in self.options}
        if "operations" in self.options:
            values["operations"] = tuple(self.options["operations"])
        values.update(overrides)
        return ConnectionSettings(url=self.url, username=self.username, password=self.password,
                                  password_type=self.password_type, **values)


def parse_sheet(text: str, folder: Path | None = None) -> TurnupSheet:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(f"The turn-up sheet is not valid TOML: {error}.") from None
    for key, kind in _REQUIRED.items():
        if not isinstance(data.get(key), kind) or isinstance(data.get(key), bool):
            raise ConfigurationError(f"The turn-up sheet needs {key} ({kind.__name__}).")
    if not data["club_ids"] or not all(isinstance(c, int) for c in data["club_ids"]):
        raise ConfigurationError("club_ids must list the partner's club numbers.")
    scheme = data.get("scheme") or urlsplit(data["url"]).scheme
    if scheme != urlsplit(data["url"]).scheme:
        raise ConfigurationError(f"scheme {scheme!r} does not match the url's scheme.")
    options = data.get("options", {})
    if not isinstance(options, dict):
        raise ConfigurationError("[options] must be a table.")
    for key, kind in (_SETTING_OPTIONS | _OTHER_OPTIONS).items():
        if key in options and not isinstance(options[key], kind):
            raise ConfigurationError(f"options.{key} has the wrong type.")
    if "operations" in options and not (isinstance(options["operations"], list)
                                        and all(isinstance(o, str) for o in options["operations"])):
        raise ConfigurationError("options.operations must be a list of operation names.")
    sheet = TurnupSheet(client_id=data["client_id"], club_ids=tuple(data["club_ids"]), url=data["url"],
                        scheme=scheme, username=data["username"], password=data["password"],
                        password_type=data.get("password_type", "digest"), options=options, folder=folder)
    sheet.connection()  # every setting checked now, not at the first call
    return sheet


def read_sheet(path: str | Path) -> TurnupSheet:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigurationError(f"Cannot read the turn-up sheet {path}: {error.strerror}.") from None
    except UnicodeDecodeError:
        raise ConfigurationError(f"The turn-up sheet {path} is not UTF-8 text.") from None
    try:
        return parse_sheet(text, Path(path).resolve().parent)
    except ConfigurationError as error:
        raise ConfigurationError(f"{path}: {error.message}") from None
