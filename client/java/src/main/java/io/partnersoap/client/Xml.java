package io.partnersoap.client;

import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.ErrorHandler;
import org.xml.sax.SAXParseException;

/**
 * The XML the generated operation table needs: writing elements of the contract's namespace
 * with StAX, reading values from DOM, and a parser that loads nothing (no DTD, no entities).
 */
final class Xml {
    static final String TNS = "urn:connector-partner:v1";
    static final String SOAP = "http://schemas.xmlsoap.org/soap/envelope/";

    private static final DocumentBuilderFactory PARSERS = parsers();
    /** Errors become the parse's exception only (the default handler also prints them). */
    private static final ErrorHandler SILENT = new ErrorHandler() {
        @Override
        public void warning(SAXParseException e) {
        }

        @Override
        public void error(SAXParseException e) throws SAXParseException {
            throw e;
        }

        @Override
        public void fatalError(SAXParseException e) throws SAXParseException {
            throw e;
        }
    };

    private Xml() {
    }

    private static DocumentBuilderFactory parsers() {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        factory.setExpandEntityReferences(false);
        factory.setXIncludeAware(false);
        try {
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("the JDK's XML parser lacks secure processing", e);
        }
        return factory;
    }

    /** A fresh parser; DocumentBuilderFactory is not documented as thread-safe, so one at a time. */
    static DocumentBuilder parser() {
        synchronized (PARSERS) {
            try {
                DocumentBuilder parser = PARSERS.newDocumentBuilder();
                parser.setErrorHandler(SILENT);
                return parser;
            } catch (ParserConfigurationException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    static void start(XMLStreamWriter w, String local) throws XMLStreamException {
        w.writeStartElement("tns", local, TNS);
    }

    static void element(XMLStreamWriter w, String local, String text) throws XMLStreamException {
        start(w, local);
        w.writeCharacters(text);
        w.writeEndElement();
    }

    static String date(LocalDate date) {
        return DateTimeFormatter.ISO_LOCAL_DATE.format(date);
    }

    static String instant(Instant instant) {
        return DateTimeFormatter.ISO_INSTANT.format(instant);
    }

    static List<Element> children(Element parent) {
        List<Element> found = new ArrayList<>();
        for (Node node = parent.getFirstChild(); node != null; node = node.getNextSibling()) {
            if (node.getNodeType() == Node.ELEMENT_NODE) {
                found.add((Element) node);
            }
        }
        return found;
    }

    static List<Element> children(Element parent, String local) {
        List<Element> found = new ArrayList<>();
        for (Element child : children(parent)) {
            if (local.equals(child.getLocalName())) {
                found.add(child);
            }
        }
        return found;
    }

    static Element child(Element parent, String namespace, String local) {
        for (Element child : children(parent)) {
            if (local.equals(child.getLocalName()) && namespace.equals(child.getNamespaceURI())) {
                return child;
            }
        }
        return null;
    }

    static String text(Element element) {
        return element.getTextContent().trim();
    }

    static Integer integer(Element element) {
        try {
            return Integer.valueOf(text(element));
        } catch (NumberFormatException e) {
            throw unreadable(element, e);
        }
    }

    static Long longValue(Element element) {
        try {
            return Long.valueOf(text(element));
        } catch (NumberFormatException e) {
            throw unreadable(element, e);
        }
    }

    static Boolean bool(Element element) {
        String text = text(element);
        if ("true".equals(text) || "1".equals(text)) {
            return Boolean.TRUE;
        }
        if ("false".equals(text) || "0".equals(text)) {
            return Boolean.FALSE;
        }
        throw unreadable(element, null);
    }

    static LocalDate date(String text) {
        try {
            return LocalDate.parse(text.length() > 10 ? text.substring(0, 10) : text);
        } catch (DateTimeParseException e) {
            throw new PartnerTransportException("the answer holds a date that is not xs:date", 0, e);
        }
    }

    static Instant instant(String text) {
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
            throw new PartnerTransportException("the answer holds a time that is not an xs:dateTime with "
                + "a zone", 0, e);
        }
    }

    static void require(Object value, Element parent, String local) {
        if (value == null) {
            throw new PartnerTransportException("the answer's " + parent.getLocalName() + " lacks its required "
                + local + ": not this contract's service?", 0, null);
        }
    }

    private static PartnerTransportException unreadable(Element element, Throwable cause) {
        return new PartnerTransportException("the answer's " + element.getLocalName() + " is not of the "
            + "contract's type", 0, cause);
    }
}
