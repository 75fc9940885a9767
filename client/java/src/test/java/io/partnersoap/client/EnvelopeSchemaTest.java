package io.partnersoap.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.partnersoap.client.model.Gender;
import io.partnersoap.client.model.LeadSource;
import io.partnersoap.client.model.Member;
import io.partnersoap.client.model.Prospect;
import io.partnersoap.client.model.Status;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import javax.xml.XMLConstants;
import javax.xml.transform.dom.DOMSource;
import javax.xml.validation.Schema;
import javax.xml.validation.SchemaFactory;
import javax.xml.validation.Validator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.xml.sax.SAXException;

/** Every envelope the library writes is valid against the bundled WSDL's schema (the JDK's validator). */
class EnvelopeSchemaTest {
    private static CannedService service;
    private static Schema schema;

    @BeforeAll
    static void start() throws Exception {
        service = new CannedService().answerEveryOperation();
        try (InputStream wsdl = PartnerClient.class.getResourceAsStream("partner.wsdl")) {
            assertNotNull(wsdl, "the WSDL is bundled in the jar");
            Document document = Xml.parser().parse(wsdl);
            Element types = Xml.child(document.getDocumentElement(), "http://schemas.xmlsoap.org/wsdl/", "types");
            Element xsd = Xml.child(types, XMLConstants.W3C_XML_SCHEMA_NS_URI, "schema");
            schema = SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI).newSchema(new DOMSource(xsd));
        }
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    static Prospect fullProspect(String externalId) {
        return new Prospect().setId("12").setExternalId(externalId).clearFields("Address2", "Mobile")
            .setFirstName("Zoë").setLastName("O'Brien <&>").setStatus(Status.ACTIVE)
            .setBirthDate(LocalDate.of(1990, 5, 17)).setGender(Gender.FEMALE).setAddress1("1 Main St")
            .setAddress2("Flat 2").setCity("Springfield").setZipcode("12345").setState("IL").setCountry("US")
            .setMobile("+1 555 0100").setHomePhone("555 0101").setWorkPhone("555 0102").setEmail("zoe@example.com")
            .setCompany("Acme").setCreatedDate(Instant.parse("2026-01-02T03:04:05Z")).setCreatedBy("intouch")
            .setModifiedDate(Instant.parse("2026-01-02T03:04:05.123Z")).setModifiedBy("intouch")
            .setLeadOwnerId("41").setLeadSourceId("3").setTrialStartDate(LocalDate.of(2026, 1, 1))
            .setTrialEndDate(LocalDate.of(2026, 1, 14));
    }

    static Member fullMember(String externalId) {
        return new Member().setId("12").setExternalId(externalId).clearFields("Company").setFirstName("Zoë")
            .setLastName("O'Brien").setStatus(Status.INACTIVE).setBirthDate(LocalDate.of(1990, 5, 17))
            .setGender(Gender.UNSPECIFIED).setAddress1("1 Main St").setAddress2("Flat 2").setCity("Springfield")
            .setZipcode("12345").setState("IL").setCountry("US").setMobile("1").setHomePhone("2").setWorkPhone("3")
            .setEmail("zoe@example.com").setCompany("Acme").setCreatedDate(Instant.parse("2026-01-02T03:04:05Z"))
            .setCreatedBy("a").setModifiedDate(Instant.parse("2026-01-02T03:04:05Z")).setModifiedBy("b");
    }

    private static void validate(CannedService.Request request) throws Exception {
        Document document = Xml.parser().parse(new ByteArrayInputStream(request.body));
        Element envelope = document.getDocumentElement();
        assertEquals(Xml.SOAP, envelope.getNamespaceURI());
        Element body = Xml.child(envelope, Xml.SOAP, "Body");
        List<Element> payload = Xml.children(body);
        assertEquals(1, payload.size());
        assertEquals(request.soapAction, "\"" + payload.get(0).getLocalName() + "\"", "SOAPAction is the operation");
        assertEquals("text/xml; charset=utf-8", request.contentType);
        Validator validator = schema.newValidator();
        try {
            validator.validate(new DOMSource(payload.get(0)));
        } catch (SAXException e) {
            throw new AssertionError(payload.get(0).getLocalName() + " is not valid: " + e.getMessage(), e);
        }
    }

    @Test
    void everyOperationsRequestIsValidInEveryShape() throws Exception {
        PartnerClient client = PartnerClient.connect(service.url(), "u", "p", true);
        int before = service.requests.size();
        client.saveProspect(1, fullProspect("p-1"));
        client.saveProspect(1, new Prospect().setFirstName("Min").setLastName("Imal"), true);
        client.saveMember(1, fullMember("m-1"));
        client.saveMember(1, new Member().setId("5"), true);
        client.saveExMember(1, fullMember("x-1"));
        client.saveExMember(1, new Member().setExternalId("x-2"), true);
        List<Prospect> prospects = new ArrayList<>();
        List<Member> members = new ArrayList<>();
        for (int i = 0; i < PartnerClient.MAX_BATCH; i++) {
            prospects.add(fullProspect("p-" + i));
            members.add(fullMember("m-" + i));
        }
        client.saveProspects(1, prospects, false);
        client.saveProspects(1, prospects.subList(0, 1), true, true);
        client.saveMembers(1, members, false);
        client.saveMembers(1, members.subList(0, 1), true, true);
        client.saveExMembers(1, members, true);
        client.saveExMembers(1, members.subList(0, 2), false, true);
        client.getStaffList();
        client.getStaffList(2);
        client.getStaffByEmail("jstaff@club.com");
        client.findStaffByEmail("jstaff@club.com");
        client.getLeadSources();
        client.saveLeadSource(new LeadSource("Web"));
        client.saveLeadSource(new LeadSource("Walk-in").setLeadSourceId("3").setExternalId("IT-9"), true);
        List<CannedService.Request> sent = service.requests.subList(before, service.requests.size());
        assertEquals(19, sent.size());
        Set<String> operations = new TreeSet<>();
        for (CannedService.Request request : sent) {
            validate(request);
            operations.add(request.soapAction.replace("\"", ""));
        }
        assertEquals(new TreeSet<>(Operations.NAMES), operations, "every operation was written");
    }

    @Test
    void optionalFlagsAndUnsetFieldsAreLeftOutAndElementsComeInTheSchemasOrder() throws Exception {
        PartnerClient client = PartnerClient.connect(service.url(), "u", "p", true);
        int before = service.requests.size();
        client.saveProspect(1, new Prospect().setLastName("L").setFirstName("F").setExternalId("e"));
        client.saveProspects(1, List.of(new Prospect().setFirstName("F")), false);
        String single = service.requests.get(before).text();
        assertTrue(single.contains("<tns:ExternalId>e</tns:ExternalId><tns:FirstName>F</tns:FirstName>"
            + "<tns:LastName>L</tns:LastName></tns:Prospect></tns:SaveProspect>"), single);
        String batch = service.requests.get(before + 1).text();
        assertTrue(batch.contains("</tns:Prospects></tns:SaveProspects>"), "no AllOrNone or Test: " + batch);
    }

    @Test
    void aBatchHoldsOneTo200Records() {
        PartnerClient client = PartnerClient.connect(service.url(), "u", "p", true);
        assertThrows(IllegalArgumentException.class, () -> client.saveProspects(1, List.of(), false));
        List<Member> many = Collections.nCopies(PartnerClient.MAX_BATCH + 1, new Member());
        assertThrows(IllegalArgumentException.class, () -> client.saveMembers(1, many, false));
        assertThrows(NullPointerException.class, () -> client.saveProspect(1, null));
    }
}
