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

    // wsdl.exe unwraps an operation whose message part is named "parameters" (1.2 on):
    // SaveProspect(int ClubId, Prospect Prospect, bool Test, bool TestSpecified) answering
    // SaveResult, each optional value type with its "...Specified" companion. Before 1.2 the parts
    // bore the element's name and it made one argument of the wrapper's class instead
    // (SaveProspect(SaveProspect)), answering the response wrapper's class or, for a wrapper of
    // one repeating element, its array. Both shapes are called here.
    static IDictionary<string, object> Call(PartnerService proxy, string operation, IDictionary<string, object> args)
    {
        var method = typeof(PartnerService).GetMethod(operation);
        var parameters = method.GetParameters();
        var wrapped = parameters.Length == 1 && Attribute.IsDefined(parameters[0], typeof(XmlElementAttribute))
            && ((XmlElementAttribute) Attribute.GetCustomAttribute(parameters[0], typeof(XmlElementAttribute))).ElementName == operation;
        object[] values;
        if (wrapped) {
            values = new[] { Scenario.ToClr(args, parameters[0].ParameterType) };
        } else {
            values = parameters.Select(p => p.Name.EndsWith("Specified") && parameters.Any(q => q.Name + "Specified" == p.Name)
                ? (object) args.ContainsKey(p.Name.Substring(0, p.Name.Length - "Specified".Length))
                : args.ContainsKey(p.Name) ? Scenario.ToClr(args[p.Name], p.ParameterType)
                : p.ParameterType.IsValueType ? Activator.CreateInstance(p.ParameterType) : null).ToArray();
        }
        var answer = method.Invoke(proxy, values);
        if (wrapped && !method.ReturnType.IsArray) return (IDictionary<string, object>) Scenario.ToJson(answer);
        return new Dictionary<string, object> { { ResultName(method), Scenario.ToJson(answer ?? new object[0]) } };
    }

    // The element name of what an operation answers ([return: XmlElement("SaveResult")], or the
    // item name of a wrapped array).
    static string ResultName(System.Reflection.MethodInfo method)
    {
        var attributes = method.ReturnTypeCustomAttributes;
        var element = (XmlElementAttribute) attributes.GetCustomAttributes(typeof(XmlElementAttribute), false).SingleOrDefault();
        if (element != null && !string.IsNullOrEmpty(element.ElementName) && method.ReturnType.IsArray) return element.ElementName;
        if (element != null && !string.IsNullOrEmpty(element.ElementName) && !element.ElementName.EndsWith("Response")) return element.ElementName;
        var item = (XmlArrayItemAttribute) attributes.GetCustomAttributes(typeof(XmlArrayItemAttribute), false).SingleOrDefault();
        return item != null && !string.IsNullOrEmpty(item.ElementName) ? item.ElementName
            : (method.ReturnType.GetElementType() ?? method.ReturnType).Name;
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
