"""The Connector's client for partners that publish the ``urn:connector-partner:v1`` contract.

``PartnerClient`` (generated from the WSDL by ``python -m partner_client.codegen``) has
one typed method per operation; ``sync`` links staff and lead sources; ``push`` saves
people and remembers their partner IDs in a ``LinkStore``; ``partner-client`` is the
command line. See the wire contract (contract.md), "What the Connector does with it".
"""

from .capabilities import Capabilities, LeadSourceMode
from .exceptions import (
    AuthenticationError,
    ConfigurationError,
    ConnectionFailed,
    Fault,
    Forbidden,
    NotFound,
    NotOffered,
    PartnerError,
    ProtocolError,
    ServerError,
    Timeout,
    TransportError,
    Unavailable,
    ValidationError,
)
from .generated.service import PartnerClient
from .generated.types import (
    Action,
    Gender,
    LeadSource,
    Member,
    Prospect,
    RecordError,
    SaveResult,
    Staff,
    Status,
    UserType,
)
from .linkstore import LinkStore
from .settings import ConnectionSettings
from .sheet import TurnupSheet, parse_sheet, read_sheet

__all__ = [
    "Action", "AuthenticationError", "Capabilities", "ConfigurationError", "ConnectionFailed",
    "ConnectionSettings", "Fault", "Forbidden", "Gender", "LeadSource", "LeadSourceMode", "LinkStore",
    "Member", "NotFound", "NotOffered", "PartnerClient", "PartnerError", "ProtocolError", "Prospect",
    "RecordError", "SaveResult", "ServerError", "Staff", "Status", "Timeout", "TransportError", "TurnupSheet",
    "Unavailable", "UserType", "ValidationError", "parse_sheet", "read_sheet",
]
