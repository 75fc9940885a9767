package io.partnersoap.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

class UsernameTokenTest {
    private static final Instant NOW = Instant.parse("2026-11-28T11:30:00.250Z");

    @Test
    void theDigestOfTheInteropGuidesExample() {
        // docs/interop.md: nonce LKqI6G/AikKCQrN0zqZFlg==, Created 2026-11-28T11:30:00Z, password s3cret-Example
        byte[] nonce = Base64.getDecoder().decode("LKqI6G/AikKCQrN0zqZFlg==");
        assertEquals("dPSfUyvtDSPjqeqt+KQLnIe4oik=",
            UsernameToken.digest(nonce, "2026-11-28T11:30:00Z", "s3cret-Example"));
    }

    static Element security(PartnerClient client) throws Exception {
        byte[] envelope = client.envelope(Operations::writeGetLeadSources);
        Document document = Xml.parser().parse(new ByteArrayInputStream(envelope));
        Element header = Xml.child(document.getDocumentElement(), Xml.SOAP, "Header");
        List<Element> headers = Xml.children(header);
        assertEquals(1, headers.size());
        return headers.get(0);
    }

    private static PartnerClient client(PasswordType type) {
        return PartnerClient.builder().url("http://127.0.0.1:9/soap").credentials("client7-1a2b", "s3cret-Example", type)
            .clock(Clock.fixed(NOW, ZoneOffset.UTC)).build();
    }

    @Test
    void aDigestHeaderHasTheProfilesShapeAndADigestOfItsOwnNonceAndCreated() throws Exception {
        Element security = security(client(PasswordType.DIGEST));
        assertEquals(UsernameToken.WSSE, security.getNamespaceURI());
        assertEquals("Security", security.getLocalName());
        assertEquals("1", security.getAttributeNS(Xml.SOAP, "mustUnderstand"));
        List<Element> tokens = Xml.children(security);
        assertEquals(1, tokens.size());
        Element token = tokens.get(0);
        assertEquals("UsernameToken", token.getLocalName());
        List<Element> parts = Xml.children(token);
        assertEquals(List.of("Username", "Password", "Nonce", "Created"),
            List.of(parts.get(0).getLocalName(), parts.get(1).getLocalName(), parts.get(2).getLocalName(),
                parts.get(3).getLocalName()));
        assertEquals(List.of(UsernameToken.WSSE, UsernameToken.WSSE, UsernameToken.WSSE, UsernameToken.WSU),
            List.of(parts.get(0).getNamespaceURI(), parts.get(1).getNamespaceURI(), parts.get(2).getNamespaceURI(),
                parts.get(3).getNamespaceURI()));
        assertEquals("client7-1a2b", Xml.text(parts.get(0)));
        assertEquals(UsernameToken.PROFILE + "#PasswordDigest", parts.get(1).getAttribute("Type"));
        assertEquals(UsernameToken.BASE64_BINARY, parts.get(2).getAttribute("EncodingType"));
        byte[] nonce = Base64.getDecoder().decode(Xml.text(parts.get(2)));
        assertEquals(16, nonce.length);
        assertEquals("2026-11-28T11:30:00.250Z", Xml.text(parts.get(3)));
        assertEquals(UsernameToken.digest(nonce, "2026-11-28T11:30:00.250Z", "s3cret-Example"), Xml.text(parts.get(1)));
    }

    @Test
    void aTextHeaderCarriesThePasswordWithANonceAndCreatedToo() throws Exception {
        List<Element> parts = Xml.children(Xml.children(security(client(PasswordType.TEXT))).get(0));
        assertEquals(UsernameToken.PROFILE + "#PasswordText", parts.get(1).getAttribute("Type"));
        assertEquals("s3cret-Example", Xml.text(parts.get(1)));
        assertEquals(16, Base64.getDecoder().decode(Xml.text(parts.get(2))).length);
        assertEquals("2026-11-28T11:30:00.250Z", Xml.text(parts.get(3)));
    }

    @Test
    void everyCallHasAFreshNonceAndTheCurrentTimeInUtc() throws Exception {
        PartnerClient client = PartnerClient.builder().url("http://127.0.0.1:9/soap")
            .credentials("u", "p", PasswordType.DIGEST).build();
        Set<String> nonces = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            List<Element> parts = Xml.children(Xml.children(security(client)).get(0));
            nonces.add(Xml.text(parts.get(2)));
            String created = Xml.text(parts.get(3));
            assertTrue(created.matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z"), created);
            long skew = Math.abs(Instant.parse(created).toEpochMilli() - System.currentTimeMillis());
            assertTrue(skew < 5_000, "Created is now, in UTC");
        }
        assertEquals(50, nonces.size());
    }

    @Test
    void neitherThePasswordNorTheDigestAppearsInTheClientsText() throws Exception {
        PartnerClient client = client(PasswordType.DIGEST);
        String digest = Xml.text(Xml.children(Xml.children(security(client)).get(0)).get(1));
        assertFalse(client.toString().contains("s3cret-Example"));
        assertFalse(client.toString().contains(digest));
        assertNotEquals(-1, client.toString().indexOf("client7-1a2b"));
    }
}
