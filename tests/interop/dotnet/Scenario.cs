// The interop scenario's loop for the .NET drivers (AsmxCheck.cs, WcfCheck.cs): the request as
// JSON on stdin, each step called through the generated proxy, the results as JSON on stdout.
// stdin: {"wsdl", "username", "password", "password_type": "digest"|"text", "steps": [...]}
// stdout: {label: {"response": ...} | {"fault": {"code", "message", "field"?}} | {"error": "..."}}
// (the step format is described in tests/interop/scenario.py).
//
// A step's arguments become the generated classes by reflection, by the element names the
// generator put on them, so every value crosses the generated code and its serializer both
// ways: the XmlSerializer classes of wsdl.exe and xsd.exe ([XmlElement], [XmlArrayItem],
// "...Specified" companions of optional value types).

using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Web.Script.Serialization;
using System.Xml;
using System.Xml.Serialization;

public static class Scenario
{
    public const string Tns = "urn:connector-partner:v1";

    public sealed class Request
    {
        public string Endpoint, Username, Password;
        public bool Digest;
        public IList<object> Steps;
    }

    public static Request ReadRequest()
    {
        string text;
        using (var reader = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false)))
            text = reader.ReadToEnd();
        var json = (IDictionary<string, object>) new JavaScriptSerializer().DeserializeObject(text);
        return new Request {
            Endpoint = ((string) json["wsdl"]).Replace("?wsdl", ""),
            Username = (string) json["username"],
            Password = (string) json["password"],
            Digest = (string) json["password_type"] == "digest",
            Steps = (IList<object>) json["steps"],
        };
    }

    // call(operation, arguments) answers the response wrapper's children; a fault or error
    // becomes the step's outcome through describe(exception).
    public static void Run(Request request, Func<string, IDictionary<string, object>, IDictionary<string, object>> call,
                           Func<Exception, IDictionary<string, object>> describe)
    {
        var results = new Dictionary<string, object>();
        foreach (IDictionary<string, object> step in request.Steps) {
            var outcome = new Dictionary<string, object>();
            try {
                var args = (IDictionary<string, object>) Resolve(step["args"], results);
                outcome["response"] = call((string) step["operation"], args);
            } catch (Exception e) {
                var error = e is TargetInvocationException && e.InnerException != null ? e.InnerException : e;
                var fault = describe(error);
                if (fault != null) outcome["fault"] = fault;
                else outcome["error"] = error.ToString();
            }
            results[(string) step["label"]] = outcome;
        }
        var stdout = Console.OpenStandardOutput();
        var bytes = new UTF8Encoding(false).GetBytes(new JavaScriptSerializer().Serialize(results));
        stdout.Write(bytes, 0, bytes.Length);
        stdout.Flush();
    }

    // "$Label.Path.To.Value" -> that value of an earlier response.
    static object Resolve(object value, IDictionary<string, object> results)
    {
        var map = value as IDictionary<string, object>;
        if (map != null) return map.ToDictionary(kv => kv.Key, kv => Resolve(kv.Value, results));
        var list = value as object[];
        if (list != null) return list.Select(v => Resolve(v, results)).ToArray();
        var text = value as string;
        if (text == null || !text.StartsWith("$")) return value;
        var path = text.Substring(1).Split('.');
        object found = ((IDictionary<string, object>) results[path[0]])["response"];
        foreach (var key in path.Skip(1)) found = ((IDictionary<string, object>) found)[key];
        return found;
    }

    // --- JSON to the generated classes -------------------------------------------------

    public static object ToClr(object value, Type type)
    {
        if (value == null) return null;
        var nullable = Nullable.GetUnderlyingType(type);
        if (nullable != null) type = nullable;
        if (type == typeof(string)) return Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture);
        if (type == typeof(int)) return Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture);
        if (type == typeof(bool)) return value is bool ? value : XmlConvert.ToBoolean(value.ToString());
        if (type == typeof(DateTime)) return XmlConvert.ToDateTime((string) value, XmlDateTimeSerializationMode.Utc);
        if (type.IsEnum) return EnumValue(type, (string) value);
        if (type.IsArray) {
            // {"ItemName": [...]} (a wrapper element and its items) or the items themselves
            var map = value as IDictionary<string, object>;
            var items = map != null ? map.Values.Single() : value;
            var list = (items as object[] ?? new[] { items }).Select(v => ToClr(v, type.GetElementType())).ToList();
            var array = Array.CreateInstance(type.GetElementType(), list.Count);
            for (var i = 0; i < list.Count; i++) array.SetValue(list[i], i);
            return array;
        }
        var bean = Activator.CreateInstance(type);
        foreach (var entry in (IDictionary<string, object>) value) {
            var property = Element(type, entry.Key);
            property.SetValue(bean, ToClr(entry.Value, property.PropertyType), null);
            var specified = type.GetProperty(property.Name + "Specified");
            if (specified != null) specified.SetValue(bean, true, null);
        }
        return bean;
    }

    static object EnumValue(Type type, string name)
    {
        foreach (var field in type.GetFields(BindingFlags.Public | BindingFlags.Static)) {
            var xml = (XmlEnumAttribute) Attribute.GetCustomAttribute(field, typeof(XmlEnumAttribute));
            if ((xml != null ? xml.Name : field.Name) == name) return field.GetValue(null);
        }
        throw new ArgumentException(type.Name + " has no value " + name);
    }

    public static string ElementName(PropertyInfo property)
    {
        var xml = (XmlElementAttribute) Attribute.GetCustomAttribute(property, typeof(XmlElementAttribute));
        return xml != null && !string.IsNullOrEmpty(xml.ElementName) ? xml.ElementName : property.Name;
    }

    static IEnumerable<PropertyInfo> Elements(Type type)
    {
        return type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p =>
            p.GetIndexParameters().Length == 0 && !Attribute.IsDefined(p, typeof(XmlIgnoreAttribute))
            && !Attribute.IsDefined(p, typeof(XmlAnyAttributeAttribute)));
    }

    public static PropertyInfo Element(Type type, string name)
    {
        var found = Elements(type).FirstOrDefault(p => ElementName(p) == name);
        if (found == null) throw new ArgumentException(type.Name + " has no element " + name);
        return found;
    }

    // --- the generated classes to JSON -------------------------------------------------

    public static object ToJson(object value)
    {
        if (value == null || value is string || value is bool || value is int || value is long) return value;
        if (value is DateTime) return XmlConvert.ToString((DateTime) value, XmlDateTimeSerializationMode.Utc);
        var type = value.GetType();
        if (type.IsEnum) {
            var field = type.GetField(value.ToString());
            var xml = (XmlEnumAttribute) Attribute.GetCustomAttribute(field, typeof(XmlEnumAttribute));
            return xml != null ? xml.Name : value.ToString();
        }
        var items = value as IEnumerable;
        if (items != null) return items.Cast<object>().Select(ToJson).ToArray();
        var map = new Dictionary<string, object>();
        foreach (var property in Elements(type)) {
            var specified = type.GetProperty(property.Name + "Specified");
            if (specified != null && !(bool) specified.GetValue(value, null)) continue;
            var v = property.GetValue(value, null);
            if (v == null) continue;
            map[ElementName(property)] = property.PropertyType.IsArray
                && !Attribute.IsDefined(property, typeof(XmlElementAttribute))
                ? Wrapped(property, v) : ToJson(v);
        }
        return map;
    }

    // A wrapper element and its items ({"ClubId": [1, 2]}), named as the generator named them.
    static object Wrapped(PropertyInfo property, object items)
    {
        var xml = (XmlArrayItemAttribute) Attribute.GetCustomAttribute(property, typeof(XmlArrayItemAttribute));
        var name = xml != null && !string.IsNullOrEmpty(xml.ElementName) ? xml.ElementName
            : property.PropertyType.GetElementType().Name;
        return new Dictionary<string, object> { { name, ToJson(items) } };
    }

    // The Field of a fault's tns:FaultDetail, if any.
    public static string FaultField(XmlNode detail)
    {
        if (detail == null) return null;
        var fields = detail is XmlElement ? ((XmlElement) detail).GetElementsByTagName("Field", Tns) : null;
        return fields != null && fields.Count > 0 ? fields[0].InnerText : null;
    }
}
