"""The WS-SecurityPolicy the published WSDL carries on its binding (contract release 1.2).

The service wants HTTPS plus a WS-Security UsernameToken on every request. Saying so in the
WSDL lets stacks that read WS-SecurityPolicy configure the header from the WSDL alone: it is
the policy WCF itself publishes for ``basicHttpBinding`` with ``TransportWithMessageCredential``
and a ``UserName`` credential, so .NET's svcutil maps it back to that binding, and CXF and
Metro add the token when given a username and password (none of the three runs here). Stacks
that do not read it ignore it (zeep, suds, node-soap, PHP, ASMX) or read it and go on without
it (the JAX-WS RI without WSIT, Mono's WCF): ``docs/interop.md`` lists which is which.

It is written in WS-SecurityPolicy 1.2 and WS-Policy 1.5, with three choices of ours:

- ``SignedSupportingTokens``: over a ``TransportBinding`` TLS protects the token, so no XML
  signature is asked for (WCF writes this form; CXF and Metro accept it over HTTPS).
- no ``sp:HashPassword``: a text password is what WCF can send; the service also takes a
  digest, which a policy cannot offer as an alternative without doubling it.
- no ``sp:IncludeTimestamp``: the service accepts a ``wsu:Timestamp`` but sends none, and a
  policy-driven CXF client would demand one in every response.

``attach_security_policy`` adds it to the canonical WSDL (``wsdl.py``): the ``wsp:Policy``
after the WSDL's documentation, a ``wsp:PolicyReference`` as the binding's first child.
"""

from __future__ import annotations

from lxml import etree

from .namespaces import WSDL, WSU

WSP = "http://www.w3.org/ns/ws-policy"
SP = "http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702"
NAMESPACES = {"wsp": WSP, "sp": SP, "wsu": WSU}
POLICY_ID = "UsernameTokenOverHttps"

_POLICY = f"""
<wsp:Policy xmlns:wsp="{WSP}" xmlns:sp="{SP}" xmlns:wsu="{WSU}" wsu:Id="{POLICY_ID}">
  <wsp:ExactlyOne>
    <wsp:All>
      <sp:TransportBinding>
        <wsp:Policy>
          <sp:TransportToken><wsp:Policy><sp:HttpsToken><wsp:Policy/></sp:HttpsToken></wsp:Policy></sp:TransportToken>
          <sp:AlgorithmSuite><wsp:Policy><sp:Basic256/></wsp:Policy></sp:AlgorithmSuite>
          <sp:Layout><wsp:Policy><sp:Lax/></wsp:Policy></sp:Layout>
        </wsp:Policy>
      </sp:TransportBinding>
      <sp:SignedSupportingTokens>
        <wsp:Policy>
          <sp:UsernameToken sp:IncludeToken="{SP}/IncludeToken/AlwaysToRecipient">
            <wsp:Policy><sp:WssUsernameToken10/></wsp:Policy>
          </sp:UsernameToken>
        </wsp:Policy>
      </sp:SignedSupportingTokens>
      <sp:Wss10><wsp:Policy/></sp:Wss10>
    </wsp:All>
  </wsp:ExactlyOne>
</wsp:Policy>
"""


def attach_security_policy(root: etree._Element) -> None:
    """Put the policy into a canonical WSDL and refer to it from every binding."""
    policy = etree.fromstring(_POLICY, etree.XMLParser(remove_blank_text=True))
    documentation = root.find(f"{{{WSDL}}}documentation")
    if documentation is not None:
        documentation.addnext(policy)
    else:
        root.insert(0, policy)
    for binding in root.findall(f"{{{WSDL}}}binding"):
        binding.insert(0, etree.Element(f"{{{WSP}}}PolicyReference", URI=f"#{POLICY_ID}"))
