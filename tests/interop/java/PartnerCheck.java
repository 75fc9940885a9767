// Drives the interop scenario with the JAX-WS RI (wsimport 2.3), as a Java Connector would:
// the port of the generated PartnerService, pointed at the live endpoint with
// BindingProvider.ENDPOINT_ADDRESS_PROPERTY, the UsernameTokenHandler on its handler chain.
// Each step calls the generated PartnerServicePortType method of that operation, with
// arguments built as the generated beans (String/Integer/enum/XMLGregorianCalendar fields,
// found by their @XmlElement names), so every value crosses the generated code both ways.
// stdin: {"wsdl", "username", "password", "password_type": "digest", "steps": [...]}
// stdout: {label: {"response": ...} | {"fault": {"code", "message", "field"?}} | {"error": "..."}}
// (the step format is described in tests/interop/scenario.py; "field" is the Field of the
// fault's tns:FaultDetail)

import com.example.partner.PartnerService;
import com.example.partner.PartnerServicePortType;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.jws.WebMethod;
import javax.jws.WebParam;
import javax.jws.WebResult;
import javax.xml.bind.annotation.XmlElement;
import javax.xml.datatype.DatatypeFactory;
import javax.xml.datatype.XMLGregorianCalendar;
import javax.xml.soap.Detail;
import javax.xml.soap.SOAPFault;
import javax.xml.ws.BindingProvider;
import javax.xml.ws.soap.SOAPFaultException;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

public final class PartnerCheck {
    static final String TNS = "urn:connector-partner:v1";

    public static void main(String[] args) throws Exception {
        @SuppressWarnings("unchecked")
        Map<String, Object> request = (Map<String, Object>) Json.parse(
            new String(System.in.readAllBytes(), StandardCharsets.UTF_8));
        if (!"digest".equals(request.get("password_type"))) {
            throw new IllegalArgumentException("the documented handler sends PasswordDigest only");
        }
        PartnerServicePortType port = new PartnerService().getPartnerServicePort();
        BindingProvider bp = (BindingProvider) port;
        String endpoint = ((String) request.get("wsdl")).replaceFirst("\\?wsdl$", "");
        bp.getRequestContext().put(BindingProvider.ENDPOINT_ADDRESS_PROPERTY, endpoint);
        bp.getBinding().setHandlerChain(List.of(
            new UsernameTokenHandler((String) request.get("username"), (String) request.get("password"))));

        Map<String, Object> results = new LinkedHashMap<>();
        for (Object item : (List<?>) request.get("steps")) {
            Map<?, ?> step = (Map<?, ?>) item;
            results.put((String) step.get("label"), call(port, (String) step.get("operation"), step.get("args"), results));
        }
        System.out.write(Json.write(results).getBytes(StandardCharsets.UTF_8));
        System.out.flush();
    }

    static Map<String, Object> call(PartnerServicePortType port, String operation, Object stepArgs,
                                    Map<String, Object> results) {
        Map<String, Object> outcome = new LinkedHashMap<>();
        try {
            Map<?, ?> args = (Map<?, ?>) resolve(stepArgs, results);
            Method method = operation(operation);
            Parameter[] parameters = method.getParameters();
            Object[] values = new Object[parameters.length];
            for (int i = 0; i < parameters.length; i++) {
                String name = parameters[i].getAnnotation(WebParam.class).name();
                values[i] = toJava(args.get(name), parameters[i].getParameterizedType());
            }
            Object answer = method.invoke(port, values);
            Map<String, Object> response = new LinkedHashMap<>();
            response.put(method.getAnnotation(WebResult.class).name(), toJson(answer));
            outcome.put("response", response);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof SOAPFaultException) {
                outcome.put("fault", fault(((SOAPFaultException) e.getCause()).getFault()));
            } else if (hasFaultInfo(e.getCause())) {
                outcome.put("fault", typedFault(e.getCause()));
            } else {
                outcome.put("error", trace(e.getCause()));
            }
        } catch (Exception e) {
            outcome.put("error", trace(e));
        }
        return outcome;
    }

    static Method operation(String name) {
        for (Method method : PartnerServicePortType.class.getMethods()) {
            if (method.getAnnotation(WebMethod.class).operationName().equals(name)) return method;
        }
        throw new IllegalArgumentException("wsimport generated no method for " + name);
    }

    // Contract 1.1 declares wsdl:fault PartnerFault: wsimport then throws the generated
    // PartnerFault, whose getFaultInfo() is the FaultDetail bean (Code, Field, CorrelationId).
    // Read by reflection, so the driver compiles against a 1.0 build (no PartnerFault) too.
    static boolean hasFaultInfo(Throwable error) {
        try {
            error.getClass().getMethod("getFaultInfo");
            return true;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    static Map<String, Object> typedFault(Throwable error) {
        Map<String, Object> out = new LinkedHashMap<>();
        try {
            Object info = error.getClass().getMethod("getFaultInfo").invoke(error);
            out.put("code", info.getClass().getMethod("getCode").invoke(info));
            out.put("message", error.getMessage());
            Object field = info.getClass().getMethod("getField").invoke(info);
            if (field != null) out.put("field", field);
            out.put("typed", error.getClass().getSimpleName());
        } catch (ReflectiveOperationException e) {
            out.put("error", trace(e));
        }
        return out;
    }

    static Map<String, Object> fault(SOAPFault fault) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("code", fault.getFaultCodeAsQName().getLocalPart());
        out.put("message", fault.getFaultString());
        Detail detail = fault.getDetail();
        if (detail != null) {
            for (Iterator<?> entries = detail.getDetailEntries(); entries.hasNext(); ) {
                NodeList fields = ((Element) entries.next()).getElementsByTagNameNS(TNS, "Field");
                if (fields.getLength() > 0) out.put("field", fields.item(0).getTextContent());
            }
        }
        return out;
    }

    // "$Label.Path.To.Value" -> that value of an earlier response.
    static Object resolve(Object value, Map<String, Object> results) {
        if (value instanceof Map) {
            Map<Object, Object> out = new LinkedHashMap<>();
            ((Map<?, ?>) value).forEach((k, v) -> out.put(k, resolve(v, results)));
            return out;
        }
        if (value instanceof List) {
            List<Object> out = new ArrayList<>();
            for (Object v : (List<?>) value) out.add(resolve(v, results));
            return out;
        }
        if (value instanceof String && ((String) value).startsWith("$")) {
            String[] path = ((String) value).substring(1).split("\\.");
            Object found = ((Map<?, ?>) results.get(path[0])).get("response");
            for (int i = 1; i < path.length; i++) found = ((Map<?, ?>) found).get(path[i]);
            return found;
        }
        return value;
    }

    static Object toJava(Object value, Type type) throws Exception {
        if (type instanceof ParameterizedType) {   // List<X> of a repeating element
            Type item = ((ParameterizedType) type).getActualTypeArguments()[0];
            List<Object> list = new ArrayList<>();
            for (Object v : value instanceof List ? (List<?>) value : List.of(value)) list.add(toJava(v, item));
            return list;
        }
        Class<?> cls = (Class<?>) type;
        if (value == null) {
            if (cls == int.class) return 0;
            return cls == boolean.class ? false : null;
        }
        if (cls == String.class) return value.toString();
        if (cls == int.class || cls == Integer.class) return Integer.valueOf(value.toString());
        if (cls == boolean.class || cls == Boolean.class) return Boolean.valueOf(value.toString());
        if (cls == XMLGregorianCalendar.class) {
            return DatatypeFactory.newInstance().newXMLGregorianCalendar(value.toString());
        }
        if (cls.isEnum()) return cls.getMethod("fromValue", String.class).invoke(null, value.toString());
        Object bean = cls.getDeclaredConstructor().newInstance();
        for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
            Field field = element(cls, (String) entry.getKey());
            field.set(bean, toJava(entry.getValue(), field.getGenericType()));
        }
        return bean;
    }

    static Field element(Class<?> cls, String name) {
        for (Field field : cls.getDeclaredFields()) {
            XmlElement element = field.getAnnotation(XmlElement.class);
            if (element != null && element.name().equals(name)) {
                field.setAccessible(true);
                return field;
            }
        }
        throw new IllegalArgumentException(cls.getSimpleName() + " has no element " + name);
    }

    static Object toJson(Object value) throws Exception {
        if (value == null || value instanceof String || value instanceof Number || value instanceof Boolean) {
            return value;
        }
        if (value instanceof XMLGregorianCalendar) return ((XMLGregorianCalendar) value).toXMLFormat();
        if (value instanceof Enum) return value.getClass().getMethod("value").invoke(value);
        if (value instanceof List) {
            List<Object> out = new ArrayList<>();
            for (Object v : (List<?>) value) out.add(toJson(v));
            return out;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (Field field : value.getClass().getDeclaredFields()) {
            XmlElement element = field.getAnnotation(XmlElement.class);
            if (element == null) continue;
            field.setAccessible(true);
            Object v = field.get(value);
            if (v != null) out.put(element.name(), toJson(v));
        }
        return out;
    }

    static String trace(Throwable e) {
        StringWriter out = new StringWriter();
        e.printStackTrace(new PrintWriter(out));
        return out.toString();
    }
}
