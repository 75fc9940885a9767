"""XML names the client needs: the contract's namespace and the binding zeep calls.

Contract "Transport": target namespace ``urn:connector-partner:v1``, one SOAP 1.1
document/literal binding named ``PartnerServiceSoapBinding``.
"""

from pathlib import Path

TNS = "urn:connector-partner:v1"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
XSD = "http://www.w3.org/2001/XMLSchema"
# OASIS WS-Security 1.0 secext (UsernameToken Profile 1.1 uses it unchanged).
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"

BINDING = f"{{{TNS}}}PartnerServiceSoapBinding"

# The contract's WSDL shipped inside the package, so zeep never needs the partner's ?wsdl.
BUNDLED_WSDL = Path(__file__).with_name("wsdl") / "partner.wsdl"
