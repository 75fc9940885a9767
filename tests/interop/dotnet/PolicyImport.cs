// What Mono's WCF makes of a WSDL's binding and its WS-SecurityPolicy: the WsdlImporter that
// svcutil uses turns the WSDL file named on the command line into endpoints; this prints each
// endpoint's binding and the security it was given, one "Binding Mode ClientCredentialType"
// line per endpoint, then "contracts N operations M" and every import error.

using System;
using System.Linq;
using System.ServiceModel;
using System.ServiceModel.Description;

public static class PolicyImport
{
    public static void Main(string[] args)
    {
        var wsdl = System.Web.Services.Description.ServiceDescription.Read(args[0]);
        var metadata = new MetadataSet();
        metadata.MetadataSections.Add(MetadataSection.CreateFromServiceDescription(wsdl));
        var importer = new WsdlImporter(metadata);
        var contracts = importer.ImportAllContracts();
        foreach (var endpoint in importer.ImportAllEndpoints()) {
            var basic = endpoint.Binding as BasicHttpBinding;
            Console.WriteLine(basic == null ? endpoint.Binding.GetType().Name
                : "BasicHttpBinding " + basic.Security.Mode + " " + basic.Security.Message.ClientCredentialType);
        }
        Console.WriteLine("contracts " + contracts.Count + " operations " + contracts.Sum(c => c.Operations.Count));
        foreach (var error in importer.Errors) Console.WriteLine((error.IsWarning ? "warning " : "error ") + error.Message);
    }
}
