package io.partnersoap.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every fault code of the contract becomes its exception, with the code, string, field and retryability. */
class FaultMappingTest {
    private static final String PASSWORD = "pw-Secret-42";
    private static CannedService service;

    @BeforeAll
    static void start() throws Exception {
        service = new CannedService();
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    static Stream<Arguments> codes() {
        return Stream.of(
            Arguments.of("Client.Validation", PartnerValidationException.class, false),
            Arguments.of("Client.NotFound", PartnerNotFoundException.class, false),
            Arguments.of("Client.Forbidden", PartnerForbiddenException.class, false),
            Arguments.of("Server.Unavailable", PartnerUnavailableException.class, true),
            Arguments.of("Server", PartnerServerException.class, false),
            Arguments.of("wsse:InvalidSecurity", PartnerSecurityException.class, false),
            Arguments.of("wsse:FailedAuthentication", PartnerAuthenticationException.class, false),
            Arguments.of("wsse:MessageExpired", PartnerMessageExpiredException.class, false),
            Arguments.of("Client.MustUnderstand", PartnerFaultException.class, false),
            Arguments.of("Client.SomethingNewer", PartnerFaultException.class, false),
            Arguments.of("Server.SomethingNewer", PartnerServerException.class, false),
            Arguments.of("wsse:UnsupportedSecurityToken", PartnerSecurityException.class, false));
    }

    @ParameterizedTest
    @MethodSource("codes")
    void aFaultIsItsTypedException(String code, Class<? extends PartnerFaultException> type, boolean retryable) {
        service.answer("GetLeadSources", 500, CannedService.fault(code, "Said by the service.",
            "<tns:Field>LeadOwnerId</tns:Field><tns:CorrelationId>0123456789abcdef</tns:CorrelationId>"));
        PartnerClient client = PartnerClient.connect(service.url(), "u", PASSWORD, true);
        PartnerFaultException fault = assertThrows(PartnerFaultException.class, client::getLeadSources);
        assertSame(type, fault.getClass());
        assertEquals(code, fault.getFaultCode());
        assertEquals("Said by the service.", fault.getFaultString());
        assertEquals("LeadOwnerId", fault.getField());
        assertEquals("0123456789abcdef", fault.getCorrelationId());
        assertEquals(retryable, fault.isRetryable());
        assertTrue(fault.getMessage().startsWith(code + ": Said by the service."), fault.getMessage());
        assertFalse(fault.getMessage().contains(PASSWORD));
    }

    @Test
    void aGenericFaultIsRetryableOnlyWhenTheFrontSaysTooManyOrTooSlow() {
        PartnerClient client = PartnerClient.connect(service.url(), "u", PASSWORD, true);
        for (int status : new int[] {408, 429, 400, 403}) {
            service.answer("GetLeadSources", status, CannedService.fault("Client", "Refused by the front.", null));
            PartnerFaultException fault = assertThrows(PartnerFaultException.class, client::getLeadSources);
            assertSame(PartnerFaultException.class, fault.getClass());
            assertEquals("Client", fault.getFaultCode());
            assertEquals(status == 408 || status == 429, fault.isRetryable(), "HTTP " + status);
        }
        service.answer("GetLeadSources", 503, CannedService.fault("Server.Unavailable", "No process; retry.", null));
        assertTrue(assertThrows(PartnerUnavailableException.class, client::getLeadSources).isRetryable());
    }

    @Test
    void theHierarchyIsTheContracts() {
        assertTrue(PartnerException.class.isAssignableFrom(PartnerFaultException.class));
        assertTrue(RuntimeException.class.isAssignableFrom(PartnerException.class));
        assertTrue(PartnerSecurityException.class.isAssignableFrom(PartnerAuthenticationException.class));
        assertTrue(PartnerSecurityException.class.isAssignableFrom(PartnerMessageExpiredException.class));
        assertTrue(PartnerTransportException.class.isAssignableFrom(PartnerTimeoutException.class));
        assertFalse(PartnerFaultException.class.isAssignableFrom(PartnerTransportException.class));
    }

    @Test
    void aFaultWithoutDetailHasNoFieldAndAnyPrefixIsResolved() {
        service.answer("GetStaffByEmail", 500, "<e:Envelope xmlns:e=\"" + CannedService.SOAP + "\"><e:Body><e:Fault>"
            + "<faultcode>e:Client.NotFound</faultcode><faultstring>No staff with this email.</faultstring>"
            + "</e:Fault></e:Body></e:Envelope>");
        PartnerClient client = PartnerClient.connect(service.url(), "u", PASSWORD, true);
        PartnerNotFoundException fault = assertThrows(PartnerNotFoundException.class,
            () -> client.getStaffByEmail("nobody@example.com"));
        assertEquals("Client.NotFound", fault.getFaultCode());
        assertNull(fault.getField());
        assertNull(fault.getCorrelationId());
        assertEquals(Optional.empty(), client.findStaffByEmail("nobody@example.com"));

        service.answer("GetStaffList", 500, "<e:Envelope xmlns:e=\"" + CannedService.SOAP + "\"><e:Body><e:Fault>"
            + "<faultcode xmlns:sec=\"" + UsernameToken.WSSE + "\">sec:FailedAuthentication</faultcode>"
            + "<faultstring>Authentication failed.</faultstring></e:Fault></e:Body></e:Envelope>");
        PartnerAuthenticationException refused = assertThrows(PartnerAuthenticationException.class,
            client::getStaffList);
        assertEquals("wsse:FailedAuthentication", refused.getFaultCode());
    }

    @Test
    void anHttpErrorWithoutASoapBodyIsATransportFailure() {
        service.answer("GetStaffList", new CannedService.Answer(502, "text/html", "<html><body>Bad gateway</body></html>",
            java.time.Duration.ZERO));
        PartnerClient client = PartnerClient.connect(service.url(), "u", PASSWORD, true);
        PartnerTransportException failure = assertThrows(PartnerTransportException.class, () -> client.getStaffList(1));
        assertEquals(502, failure.getHttpStatus());
        assertTrue(failure.isRetryable());

        service.answer("GetLeadSources", new CannedService.Answer(200, "text/plain", "not xml at all",
            java.time.Duration.ZERO));
        assertEquals(200, assertThrows(PartnerTransportException.class, client::getLeadSources).getHttpStatus());
        service.answer("GetLeadSources", 503, "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM "
            + "\"file:///etc/passwd\">]><x>&e;</x>");
        PartnerTransportException doctype = assertThrows(PartnerTransportException.class, client::getLeadSources);
        assertFalse(doctype.getMessage().contains("root:"));
    }

    @Test
    void aConnectionRefusedIsARetryableTransportFailure() throws Exception {
        String url;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            url = "http://127.0.0.1:" + socket.getLocalPort() + "/soap";
        }
        PartnerClient client = PartnerClient.connect(url, "u", PASSWORD, true);
        PartnerTransportException failure = assertThrows(PartnerTransportException.class, client::getLeadSources);
        assertTrue(failure.isRetryable());
        assertEquals(0, failure.getHttpStatus());
        assertFalse(failure.getMessage().contains(PASSWORD));
    }
}
