package io.partnersoap.client;

import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The typed exception of a SOAP 1.1 {@code Fault}: the code's prefix is resolved, so
 * {@code soap11env:Client.NotFound} is {@code Client.NotFound} and a code in the WSS namespace
 * is {@code wsse:} plus its local name, whatever prefix the service chose.
 */
final class Faults {
    private Faults() {
    }

    static PartnerFaultException read(Element fault, int httpStatus) {
        String code = code(fault);
        String string = "";
        String field = null;
        String correlationId = null;
        for (Element child : Xml.children(fault)) {
            if ("faultstring".equals(child.getLocalName())) {
                string = Xml.text(child);
            } else if ("detail".equals(child.getLocalName())) {
                field = firstText(child, "Field");
                correlationId = firstText(child, "CorrelationId");
            }
        }
        return of(code, string, field, correlationId, httpStatus);
    }

    private static String firstText(Element detail, String local) {
        NodeList found = detail.getElementsByTagNameNS(Xml.TNS, local);
        return found.getLength() == 0 ? null : found.item(0).getTextContent().trim();
    }

    private static String code(Element fault) {
        Element element = null;
        for (Element child : Xml.children(fault)) {
            if ("faultcode".equals(child.getLocalName())) {
                element = child;
            }
        }
        if (element == null) {
            return "Server";
        }
        String text = Xml.text(element);
        int colon = text.indexOf(':');
        if (colon < 0) {
            return text;
        }
        String namespace = element.lookupNamespaceURI(text.substring(0, colon));
        String local = text.substring(colon + 1);
        return UsernameToken.WSSE.equals(namespace) ? "wsse:" + local : local;
    }

    /** The exception class of a fault code, as the contract names them. */
    static PartnerFaultException of(String code, String string, String field, String correlationId, int httpStatus) {
        switch (code) {
            case "Client.Validation":
                return new PartnerValidationException(code, string, field, correlationId);
            case "Client.NotFound":
                return new PartnerNotFoundException(code, string, field, correlationId);
            case "Client.Forbidden":
                return new PartnerForbiddenException(code, string, field, correlationId);
            case "Server.Unavailable":
                return new PartnerUnavailableException(code, string, field, correlationId);
            case "wsse:FailedAuthentication":
                return new PartnerAuthenticationException(code, string, field, correlationId);
            case "wsse:MessageExpired":
                return new PartnerMessageExpiredException(code, string, field, correlationId);
            default:
                if (code.startsWith("wsse:")) {
                    return new PartnerSecurityException(code, string, field, correlationId);
                }
                if (code.equals("Server") || code.startsWith("Server.")) {
                    return new PartnerServerException(code, string, field, correlationId);
                }
                boolean transientRefusal = httpStatus == 408 || httpStatus == 429;
                return new PartnerFaultException(code, string, field, correlationId, transientRefusal);
        }
    }
}
