// Drives the interop scenario through Mono's WCF runtime (System.ServiceModel), as a .NET
// Framework integration calls SOAP: a ChannelFactory over BasicHttpBinding (SOAP 1.1, text,
// UTF-8) whose endpoint behaviour adds the wsse:Security header from a message inspector
// (WCF's own UserNameOverTransport security is not implemented in Mono). The bodies are the
// XmlSerializer classes that `xsd` generates from the served ?wsdl's schema (namespace
// Partner.Wcf), exchanged as untyped Messages: Mono's svcutil cannot generate a usable typed
// proxy for this contract (docs/interop.md says why), and Mono's typed-operation formatter
// reads every fault detail as an ExceptionDetail. (Input and output format: Scenario.cs.)

using System;
using System.Collections.Generic;
using System.Runtime.Serialization;
using System.ServiceModel;
using System.ServiceModel.Channels;
using System.ServiceModel.Description;
using System.ServiceModel.Dispatcher;
using System.Xml;
using System.Xml.Serialization;

// The UsernameToken as a WCF message header, a new one (new Nonce, new Created) per message.
public class SecurityHeader : MessageHeader
{
    readonly XmlElement security;
    public SecurityHeader(XmlElement security) { this.security = security; }
    public override string Name { get { return "Security"; } }
    public override string Namespace { get { return UsernameToken.Wsse; } }
    public override bool MustUnderstand { get { return true; } }

    protected override void OnWriteHeaderContents(XmlDictionaryWriter writer, MessageVersion version)
    {
        foreach (XmlNode child in security.ChildNodes) child.WriteTo(writer);
    }
}

// Added to an endpoint (factory.Endpoint.Behaviors.Add), it puts the header on every request.
public class UsernameTokenBehavior : IEndpointBehavior, IClientMessageInspector
{
    readonly string username, password;
    readonly bool digest;

    public UsernameTokenBehavior(string username, string password, bool digest)
    {
        this.username = username;
        this.password = password;
        this.digest = digest;
    }

    public object BeforeSendRequest(ref Message request, IClientChannel channel)
    {
        request.Headers.Add(new SecurityHeader(UsernameToken.Security(username, password, digest)));
        return null;
    }

    public void AfterReceiveReply(ref Message reply, object correlationState) { }
    public void ApplyClientBehavior(ServiceEndpoint endpoint, ClientRuntime runtime) { runtime.MessageInspectors.Add(this); }
    public void AddBindingParameters(ServiceEndpoint endpoint, BindingParameterCollection parameters) { }
    public void ApplyDispatchBehavior(ServiceEndpoint endpoint, EndpointDispatcher dispatcher) { }
    public void Validate(ServiceEndpoint endpoint) { }
}

// The service's fault detail (tns:FaultDetail: Field, CorrelationId), declared as a fault
// contract: Mono's client runtime reads the detail of a fault it has no contract for as a WCF
// ExceptionDetail, and fails on any other.
[DataContract(Name = "FaultDetail", Namespace = "urn:connector-partner:v1")]
public class FaultDetail : IExtensibleDataObject
{
    [DataMember(Order = 0, EmitDefaultValue = false)] public string Field;
    [DataMember(Order = 1, EmitDefaultValue = false)] public string CorrelationId;
    public ExtensionDataObject ExtensionData { get; set; }
}

[ServiceContract(Namespace = Scenario.Tns)]
public interface IPartnerMessages
{
    [OperationContract(Action = "*", ReplyAction = "*")]
    [FaultContract(typeof(FaultDetail))]
    Message Send(Message request);
}

// A body written by XmlSerializer (the wrapper element is the class's XmlRoot).
public class XmlSerializerBody : BodyWriter
{
    readonly object body;
    public XmlSerializerBody(object body) : base(true) { this.body = body; }

    protected override void OnWriteBodyContents(XmlDictionaryWriter writer)
    {
        new XmlSerializer(body.GetType()).Serialize(writer, body);
    }
}

public static class WcfCheck
{
    public static void Main()
    {
        var request = Scenario.ReadRequest();
        var binding = new BasicHttpBinding { MaxReceivedMessageSize = 8 * 1024 * 1024 };
        binding.TextEncoding = System.Text.Encoding.UTF8;
        var factory = new ChannelFactory<IPartnerMessages>(binding, new EndpointAddress(request.Endpoint));
        factory.Endpoint.Behaviors.Add(new UsernameTokenBehavior(request.Username, request.Password, request.Digest));
        var channel = factory.CreateChannel();
        Scenario.Run(request, (operation, args) => Call(channel, operation, args), Describe);
        ((IClientChannel) channel).Close();
        factory.Close();
    }

    static IDictionary<string, object> Call(IPartnerMessages channel, string operation, IDictionary<string, object> args)
    {
        var requestType = Type.GetType("Partner.Wcf." + operation, true);
        var responseType = Type.GetType("Partner.Wcf." + operation + "Response", true);
        var message = Message.CreateMessage(MessageVersion.Soap11, operation,
                                            new XmlSerializerBody(Scenario.ToClr(args, requestType)));
        using (var reply = channel.Send(message)) {  // a fault is thrown as a FaultException
            using (var body = reply.GetReaderAtBodyContents())
                return (IDictionary<string, object>) Scenario.ToJson(new XmlSerializer(responseType).Deserialize(body));
        }
    }

    static IDictionary<string, object> Describe(Exception error)
    {
        var fault = error as FaultException;
        if (fault == null) return null;
        var messageFault = fault.CreateMessageFault();
        var described = new Dictionary<string, object> {
            { "code", messageFault.Code.Name }, { "message", fault.Message } };
        var detailed = fault as FaultException<FaultDetail>;
        if (detailed != null && detailed.Detail.Field != null) described["field"] = detailed.Detail.Field;
        return described;
    }
}
