package io.partnersoap.client.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.partnersoap.client.PartnerAuthenticationException;
import io.partnersoap.client.PartnerClient;
import io.partnersoap.client.PartnerFaultException;
import io.partnersoap.client.PartnerForbiddenException;
import io.partnersoap.client.PartnerMessageExpiredException;
import io.partnersoap.client.PartnerNotFoundException;
import io.partnersoap.client.PartnerSecurityException;
import io.partnersoap.client.PartnerServerException;
import io.partnersoap.client.PartnerTransportException;
import io.partnersoap.client.PartnerUnavailableException;
import io.partnersoap.client.PartnerValidationException;
import io.partnersoap.client.PasswordType;
import io.partnersoap.client.model.Gender;
import io.partnersoap.client.model.LeadSource;
import io.partnersoap.client.model.Member;
import io.partnersoap.client.model.Prospect;
import io.partnersoap.client.model.SaveAction;
import io.partnersoap.client.model.SaveResult;
import io.partnersoap.client.model.Staff;
import io.partnersoap.client.model.Status;
import io.partnersoap.client.model.UserType;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The library against the real running service, with real WS-Security credentials: every
 * operation, both password types, a club-limited credential, every fault, 8 threads on one
 * client. Started by tests/e2e/test_java_client.py, which serves the service and writes the
 * properties file named by {@code -Dpartner.it.config}; compiled against the public API only
 * (this package is not the library's). External IDs start with {@code JAVA-IT-}; the Python
 * test then reads what was stored.
 */
class PartnerServiceIT {
    private static Properties config;
    private static PartnerClient digest;
    private static int club;
    private static int otherClub;

    @BeforeAll
    static void connect() throws IOException {
        String path = System.getProperty("partner.it.config");
        assertNotNull(path, "-Dpartner.it.config names the live service's properties (tests/e2e/test_java_client.py)");
        config = new Properties();
        try (InputStream in = new FileInputStream(path)) {
            config.load(in);
        }
        digest = PartnerClient.connect(get("url"), get("digest.username"), get("digest.password"), true);
        club = Integer.parseInt(get("club"));
        otherClub = Integer.parseInt(get("otherClub"));
    }

    @AfterAll
    static void close() {
        if (digest != null) {
            digest.close();
        }
    }

    private static String get(String key) {
        String value = config.getProperty(key);
        assertNotNull(value, key);
        return value;
    }

    @Test
    void everyOperationWithADigestPassword() {
        LeadSource web = new LeadSource("Java IT Web");
        SaveResult created = digest.saveLeadSource(web);
        assertTrue(created.getAction() == SaveAction.INSERTED || created.getAction() == SaveAction.UNCHANGED);
        assertNull(created.getUserType());
        String leadSourceId = created.getId();
        assertEquals(SaveAction.UNCHANGED, digest.saveLeadSource(new LeadSource(" java it web ")).getAction());
        assertEquals(SaveAction.VALIDATED, digest.saveLeadSource(new LeadSource("Java IT Other"), true).getAction());
        assertTrue(digest.getLeadSources().stream().anyMatch(s -> leadSourceId.equals(s.getLeadSourceId())
            && "Java IT Web".equals(s.getName())));

        List<Staff> staff = digest.getStaffList();
        Staff john = digest.getStaffByEmail(get("staffEmail").toUpperCase());
        assertTrue(staff.contains(john));
        assertEquals(get("staffId"), john.getStaffId());
        assertTrue(john.isActive());
        assertTrue(john.getClubIds().contains(club));
        assertEquals(List.of(john), digest.getStaffList(club));
        assertEquals(john, digest.findStaffByEmail(get("staffEmail")).orElseThrow());
        assertTrue(digest.findStaffByEmail("nobody@example.com").isEmpty());

        Prospect zoe = new Prospect().setExternalId("JAVA-IT-1").setFirstName("Zoë").setLastName("O'Brien <&>")
            .setBirthDate(LocalDate.of(1990, 5, 17)).setGender(Gender.FEMALE).setStatus(Status.ACTIVE)
            .setEmail("zoe@example.com").setMobile("+44 7700 900123").setLeadOwnerId(john.getStaffId())
            .setLeadSourceId(leadSourceId).setTrialStartDate(LocalDate.of(2026, 1, 1))
            .setTrialEndDate(LocalDate.of(2026, 1, 14)).setCreatedDate(Instant.parse("2026-01-02T03:04:05Z"))
            .setModifiedDate(Instant.parse("2026-01-02T03:04:05Z"));
        assertEquals(SaveAction.VALIDATED, digest.saveProspect(club, zoe, true).getAction());
        SaveResult saved = digest.saveProspect(club, zoe);
        assertEquals(SaveAction.INSERTED, saved.getAction());
        assertEquals(UserType.PROSPECT, saved.getUserType());
        String id = saved.getId();
        assertEquals(new SaveResult(id, SaveAction.UNCHANGED, null, UserType.PROSPECT), digest.saveProspect(club, zoe));
        assertEquals(SaveAction.STALE, digest.saveProspect(club, new Prospect().setId(id).setCity("Late")
            .setModifiedDate(Instant.parse("2025-01-01T00:00:00Z"))).getAction());

        SaveResult member = digest.saveMember(club, new Member().setId(id).clearFields("Mobile")
            .setModifiedDate(Instant.parse("2026-02-01T00:00:00Z")));
        assertEquals(new SaveResult(id, SaveAction.UPDATED, null, UserType.MEMBER), member);
        assertEquals(SaveAction.VALIDATED, digest.saveMember(club, new Member().setId(id), true).getAction());
        SaveResult exMember = digest.saveExMember(club, new Member().setExternalId("JAVA-IT-1").setStatus(Status.INACTIVE)
            .setModifiedDate(Instant.parse("2026-03-01T00:00:00Z")));
        assertEquals(new SaveResult(id, SaveAction.UPDATED, null, UserType.EX_MEMBER), exMember);
        assertEquals(SaveAction.VALIDATED, digest.saveExMember(club, new Member().setId(id), true).getAction());

        List<Prospect> prospects = List.of(new Prospect().setExternalId("JAVA-IT-B1").setFirstName("B").setLastName("One"),
            new Prospect().setExternalId("JAVA-IT-B2").setFirstName("B").setLastName("Two").setLeadOwnerId("987654321"));
        List<SaveResult> batch = digest.saveProspects(club, prospects, false);
        assertEquals(SaveAction.INSERTED, batch.get(0).getAction());
        assertEquals(SaveAction.FAILED, batch.get(1).getAction());
        assertEquals("LeadOwnerId", batch.get(1).getError().getField());
        assertNotNull(batch.get(1).getError().getCode());
        assertEquals(SaveAction.VALIDATED, digest.saveProspects(club, prospects.subList(0, 1), false, true).get(0)
            .getAction());
        List<SaveResult> allOrNone = digest.saveMembers(club, List.of(
            new Member().setExternalId("JAVA-IT-M1").setFirstName("M").setLastName("One"),
            new Member().setExternalId("JAVA-IT-M2").setLastName("NoFirstName")), true);
        assertEquals(2, allOrNone.size());
        assertTrue(allOrNone.stream().noneMatch(r -> r.getAction() == SaveAction.INSERTED), allOrNone.toString());
        List<SaveResult> members = digest.saveMembers(club, List.of(
            new Member().setExternalId("JAVA-IT-M1").setFirstName("M").setLastName("One")), true, false);
        assertEquals(UserType.MEMBER, members.get(0).getUserType());
        assertEquals(SaveAction.VALIDATED, digest.saveMembers(club, List.of(new Member().setId(id)), false, true)
            .get(0).getAction());
        List<SaveResult> exMembers = digest.saveExMembers(club, List.of(
            new Member().setExternalId("JAVA-IT-X1").setFirstName("X").setLastName("One")), false);
        assertEquals(new SaveResult(exMembers.get(0).getId(), SaveAction.INSERTED, null, UserType.EX_MEMBER),
            exMembers.get(0));
        assertEquals(SaveAction.VALIDATED, digest.saveExMembers(club, List.of(new Member().setId(id)), false, true)
            .get(0).getAction());
        assertEquals(SaveAction.UPDATED, digest.saveLeadSource(new LeadSource("Java IT Web 2")
            .setLeadSourceId(leadSourceId)).getAction());
    }

    @Test
    void aTextPasswordWorksToo() {
        try (PartnerClient text = PartnerClient.builder().url(get("url"))
                .credentials(get("text.username"), get("text.password"), PasswordType.TEXT)
                .connectTimeout(Duration.ofSeconds(5)).requestTimeout(Duration.ofSeconds(30)).build()) {
            assertFalse(text.getStaffList().isEmpty());
            assertNotNull(text.getLeadSources());
            SaveResult saved = text.saveProspect(club, new Prospect().setExternalId("JAVA-IT-TEXT").setFirstName("Tex")
                .setLastName("Password"));
            assertEquals(SaveAction.INSERTED, saved.getAction());
        }
    }

    @Test
    void aClubLimitedCredentialIsForbiddenElsewhere() {
        try (PartnerClient limited = PartnerClient.connect(get("url"), get("limited.username"), get("limited.password"),
                true)) {
            assertEquals(SaveAction.INSERTED, limited.saveMember(club, new Member().setExternalId("JAVA-IT-LIMITED")
                .setFirstName("Lim").setLastName("Ited")).getAction());
            PartnerForbiddenException forbidden = assertThrows(PartnerForbiddenException.class,
                () -> limited.saveMember(otherClub, new Member().setExternalId("JAVA-IT-FORBIDDEN")
                    .setFirstName("Not").setLastName("Saved")));
            assertEquals("Client.Forbidden", forbidden.getFaultCode());
            assertFalse(forbidden.isRetryable());
            assertThrows(PartnerForbiddenException.class, () -> limited.getStaffList(otherClub));
        }
        assertThrows(PartnerForbiddenException.class, () -> digest.getStaffList(Integer.parseInt(get("foreignClub"))));
    }

    @Test
    void everyFaultIsTyped() {
        PartnerValidationException invalid = assertThrows(PartnerValidationException.class,
            () -> digest.saveProspect(club, new Prospect().setExternalId("JAVA-IT-INVALID").setFirstName("No")
                .setLastName("Owner").setLeadOwnerId("987654321")));
        assertEquals("Client.Validation", invalid.getFaultCode());
        assertEquals("LeadOwnerId", invalid.getField());
        assertFalse(invalid.isRetryable());
        PartnerValidationException unknownField = assertThrows(PartnerValidationException.class,
            () -> digest.saveMember(club, new Member().setExternalId("JAVA-IT-INVALID").setFirstName("A").setLastName("B")
                .clearFields("NoSuchField")));
        assertNotNull(unknownField.getField());

        PartnerNotFoundException notFound = assertThrows(PartnerNotFoundException.class,
            () -> digest.getStaffByEmail("nobody@example.com"));
        assertEquals("Client.NotFound", notFound.getFaultCode());
        assertThrows(PartnerNotFoundException.class, () -> digest.saveProspect(club, new Prospect().setId("987654321")
            .setFirstName("Gone")));

        try (PartnerClient wrong = PartnerClient.connect(get("url"), get("digest.username"), get("digest.password") + "x",
                true)) {
            PartnerAuthenticationException refused = assertThrows(PartnerAuthenticationException.class,
                wrong::getLeadSources);
            assertEquals("wsse:FailedAuthentication", refused.getFaultCode());
            assertFalse(refused.getMessage().contains(get("digest.password")));
        }
        String tooLong = "u".repeat(101);
        try (PartnerClient malformed = PartnerClient.connect(get("url"), tooLong, "p", true)) {
            PartnerSecurityException invalidSecurity = assertThrows(PartnerSecurityException.class,
                malformed::getLeadSources);
            assertSame(PartnerSecurityException.class, invalidSecurity.getClass());
            assertEquals("wsse:InvalidSecurity", invalidSecurity.getFaultCode());
        }
        Clock tenMinutesSlow = Clock.offset(Clock.systemUTC(), Duration.ofMinutes(-10));
        try (PartnerClient late = PartnerClient.builder().url(get("url"))
                .credentials(get("digest.username"), get("digest.password"), PasswordType.DIGEST).clock(tenMinutesSlow)
                .build()) {
            PartnerMessageExpiredException expired = assertThrows(PartnerMessageExpiredException.class,
                late::getLeadSources);
            assertEquals("wsse:MessageExpired", expired.getFaultCode());
        }

        try (PartnerClient broken = PartnerClient.connect(get("broken.url"), get("broken.username"),
                get("broken.password"), true)) {
            PartnerServerException server = assertThrows(PartnerServerException.class, broken::getStaffList);
            assertEquals("Server", server.getFaultCode());
            assertTrue(server.getCorrelationId().matches("[0-9a-f]{16}"), server.getCorrelationId());
            assertTrue(server.getFaultString().contains(server.getCorrelationId()));
        }
        try (PartnerClient down = PartnerClient.connect(get("unavailable.url"), get("unavailable.username"),
                get("unavailable.password"), true)) {
            PartnerUnavailableException unavailable = assertThrows(PartnerUnavailableException.class,
                () -> down.saveProspect(1, new Prospect().setExternalId("JAVA-IT-DOWN").setFirstName("D")
                    .setLastName("Own")));
            assertEquals("Server.Unavailable", unavailable.getFaultCode());
            assertTrue(unavailable.isRetryable());
        }
    }

    @Test
    void eightThreadsShareOneClient() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<String>> saves = new ArrayList<>();
            for (int thread = 0; thread < 8; thread++) {
                for (int i = 0; i < 10; i++) {
                    String externalId = "JAVA-IT-T" + thread + "-" + i;
                    saves.add(pool.submit(() -> {
                        SaveResult result = digest.saveProspect(club, new Prospect().setExternalId(externalId)
                            .setFirstName("Thread").setLastName(externalId));
                        assertEquals(SaveAction.INSERTED, result.getAction());
                        assertEquals(result.getId(), digest.saveProspect(club, new Prospect()
                            .setExternalId(externalId).setCity("Retried")).getId());
                        assertFalse(digest.getStaffList().isEmpty());
                        return result.getId();
                    }));
                }
            }
            Set<String> ids = new HashSet<>();
            for (Future<String> save : saves) {
                ids.add(save.get());
            }
            assertEquals(80, ids.size(), "80 people, none duplicated, no nonce refused as a replay");
        } finally {
            pool.shutdownNow();
        }
    }

    /** client/java/README.md's "TLS with a private CA", word for word. */
    static SSLContext trusting(Path caFile) throws GeneralSecurityException, IOException {
        KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
        trusted.load(null, null);
        try (InputStream in = Files.newInputStream(caFile)) {
            int n = 0;
            for (Certificate ca : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trusted.setCertificateEntry("partner-ca-" + n++, ca);
            }
        }
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }

    @Test
    void tlsWithAPrivateCaAndATextPassword() throws Exception {
        try (PartnerClient tls = PartnerClient.builder().url(get("tls.url"))
                .credentials(get("text.username"), get("text.password"), PasswordType.TEXT)
                .sslContext(trusting(Path.of(get("tls.ca")))).build()) {
            assertEquals(get("staffId"), tls.getStaffByEmail(get("staffEmail")).getStaffId());
        }
        try (PartnerClient untrusted = PartnerClient.connect(get("tls.url"), get("text.username"),
                get("text.password"), false)) {
            PartnerTransportException failure = assertThrows(PartnerTransportException.class,
                untrusted::getLeadSources);
            assertTrue(failure.isRetryable());
            assertEquals(0, failure.getHttpStatus());
            assertFalse(failure.getMessage().contains(get("text.password")));
        }
    }

    @Test
    void faultsAreTypedUnderTheirCommonParent() {
        PartnerFaultException fault = assertThrows(PartnerFaultException.class,
            () -> digest.getStaffByEmail("still-nobody@example.com"));
        assertEquals("Client.NotFound", fault.getFaultCode());
    }
}
