// The WS-Security UsernameToken header that docs/interop.md gives .NET users: neither an ASMX
// proxy (wsdl.exe) nor a plain WCF binding writes it, so this builds the wsse:Security
// element, with a fresh Nonce and Created on every call (retries included), PasswordDigest
// or PasswordText. AsmxCheck.cs sends it as a SoapUnknownHeader, WcfCheck.cs from a message
// inspector.

using System;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Xml;

public static class UsernameToken
{
    public const string Wsse = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
    public const string Wsu = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
    const string Profile = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0";
    const string Base64Binary = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary";
    static readonly RandomNumberGenerator Random = RandomNumberGenerator.Create();

    // <wsse:Security><wsse:UsernameToken>...</wsse:UsernameToken></wsse:Security>
    public static XmlElement Security(string username, string password, bool digest)
    {
        var nonce = new byte[16];
        Random.GetBytes(nonce);
        var created = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        string passwordText = password;
        if (digest) {
            // Base64(SHA-1(nonce bytes + Created as sent + password))
            var createdAndPassword = Encoding.UTF8.GetBytes(created + password);
            var input = new byte[nonce.Length + createdAndPassword.Length];
            nonce.CopyTo(input, 0);
            createdAndPassword.CopyTo(input, nonce.Length);
            using (var sha1 = SHA1.Create()) passwordText = Convert.ToBase64String(sha1.ComputeHash(input));
        }
        var doc = new XmlDocument();
        var security = doc.CreateElement("wsse", "Security", Wsse);
        var token = Child(security, "UsernameToken", Wsse, null);
        Child(token, "Username", Wsse, username);
        Child(token, "Password", Wsse, passwordText)
            .SetAttribute("Type", Profile + (digest ? "#PasswordDigest" : "#PasswordText"));
        Child(token, "Nonce", Wsse, Convert.ToBase64String(nonce)).SetAttribute("EncodingType", Base64Binary);
        Child(token, "Created", Wsu, created);
        return security;
    }

    static XmlElement Child(XmlElement parent, string name, string ns, string text)
    {
        var child = parent.OwnerDocument.CreateElement(ns == Wsu ? "wsu" : "wsse", name, ns);
        if (text != null) child.InnerText = text;
        parent.AppendChild(child);
        return child;
    }
}
