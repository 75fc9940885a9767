// Drives the interop scenario with an ASMX proxy, as older .NET integrations call SOAP: the
// SoapHttpClientProtocol class that `wsdl wsdl/partner.wsdl` generates (namespace Partner.Asmx),
// with the wsse:Security header added by a subclass, since wsdl.exe knows no WS-Security.
// (Input and output format: Scenario.cs.)

using System;
using System.Collections.Generic;
using System.Linq;
using System.Web.Services.Protocols;
using System.Xml;
using System.Xml.Serialization;
using Partner.Asmx;

// Every message this proxy writes gets a new UsernameToken (a new Nonce, a new Created).
public class SecuredPartnerService : PartnerService
{
    readonly string username, password;
    readonly bool digest;

    public SecuredPartnerService(string url, string username, string password, bool digest)
    {
        Url = url;
        this.username = username;
        this.password = password;
        this.digest = digest;
    }

    protected override XmlWriter GetWriterForMessage(SoapClientMessage message, int bufferSize)
    {
        message.Headers.Add(new SoapUnknownHeader {
            Element = UsernameToken.Security(username, password, digest),
            MustUnderstand = true,
        });
        return base.GetWriterForMessage(message, bufferSize);
    }
}

public static class AsmxCheck
{
    public static void Main()
    {
        var request = Scenario.ReadRequest();
        var proxy = new SecuredPartnerService(request.Endpoint, request.Username, request.Password, request.Digest);
        Scenario.Run(request, (operation, args) => Call(proxy, operation, args), Describe);
    }

    // wsdl.exe unwraps an operation only when its message part is named "parameters"; this
    // WSDL's parts bear their element's name, so each method takes one argument of the request
    // wrapper's class (SaveProspect(SaveProspect)) and answers the response wrapper's class or,
    // for a wrapper of one repeating element, its array (LeadSource[] GetLeadSources(...)).
    static IDictionary<string, object> Call(PartnerService proxy, string operation, IDictionary<string, object> args)
    {
        var method = typeof(PartnerService).GetMethod(operation);
        var wrapper = method.GetParameters().Single().ParameterType;
        var answer = method.Invoke(proxy, new[] { Scenario.ToClr(args, wrapper) });
        if (!method.ReturnType.IsArray) return (IDictionary<string, object>) Scenario.ToJson(answer);
        var item = (XmlArrayItemAttribute) method.ReturnTypeCustomAttributes
            .GetCustomAttributes(typeof(XmlArrayItemAttribute), false).SingleOrDefault();
        var name = item != null && !string.IsNullOrEmpty(item.ElementName) ? item.ElementName
            : method.ReturnType.GetElementType().Name;
        return new Dictionary<string, object> { { name, Scenario.ToJson(answer ?? new object[0]) } };
    }

    static IDictionary<string, object> Describe(Exception error)
    {
        var fault = error as SoapException;
        if (fault == null) return null;
        var described = new Dictionary<string, object> { { "code", fault.Code.Name }, { "message", fault.Message } };
        var field = Scenario.FaultField(fault.Detail);
        if (field != null) described["field"] = field;
        return described;
    }
}
