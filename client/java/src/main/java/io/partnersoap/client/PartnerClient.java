package io.partnersoap.client;

import io.partnersoap.client.model.LeadSource;
import io.partnersoap.client.model.Member;
import io.partnersoap.client.model.Prospect;
import io.partnersoap.client.model.SaveResult;
import io.partnersoap.client.model.Staff;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.xml.sax.SAXException;

/**
 * A client of the partner service: one method per operation of {@code urn:connector-partner:v1},
 * each call one SOAP 1.1 request with a WS-Security UsernameToken (a fresh nonce and Created).
 *
 * <pre>{@code
 * try (PartnerClient client = PartnerClient.connect(url, username, password, true)) {
 *     SaveResult result = client.saveProspect(clubId, new Prospect()
 *         .setExternalId("INTOUCH-1234").setFirstName("Pete").setLastName("Prospect"));
 *     String id = result.getId();   // send it with every later save of this person
 * }
 * }</pre>
 *
 * <p>Thread-safe: share one client between threads (it holds one {@link HttpClient}, whose
 * connections are pooled). Every call has a connect timeout and a request timeout, 10 s and 60 s
 * unless the builder says otherwise. Failures are unchecked {@link PartnerException}s: a fault
 * the service answered is a {@link PartnerFaultException} subclass, no SOAP answer a
 * {@link PartnerTransportException}; {@link PartnerException#isRetryable()} says whether to retry.
 * The client writes no log and does not retry failures, with one exception: a call that is safe
 * to repeat is sent again when its connection breaks without an answer (a pooled connection the
 * server had closed). The bundled WSDL describes the contract it was generated from; nothing is
 * fetched from the service but the answers to calls.
 */
public final class PartnerClient implements AutoCloseable {
    /** The connect timeout unless the builder sets one. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** The timeout of one call (sending the request and reading the whole answer) unless set. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(60);
    /** The most records one batch call takes (the contract's maxOccurs). */
    public static final int MAX_BATCH = 200;

    /** How often a repeatable call is sent again after its connection broke without an answer. */
    private static final int STALE_CONNECTION_REPEATS = 2;
    private static final XMLOutputFactory OUTPUTS = XMLOutputFactory.newFactory();

    private final URI endpoint;
    private final UsernameToken token;
    private final HttpClient http;
    private final Duration requestTimeout;
    private volatile boolean closed;

    private PartnerClient(Builder builder) {
        this.endpoint = builder.endpoint;
        this.token = new UsernameToken(builder.username, builder.password, builder.passwordType, builder.clock);
        this.requestTimeout = builder.requestTimeout;
        HttpClient.Builder http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(builder.connectTimeout)
            .followRedirects(HttpClient.Redirect.NEVER);
        if (builder.sslContext != null) {
            http.sslContext(builder.sslContext);
        }
        this.http = http.build();
    }

    /**
     * A client with the turn-up sheet's values and the default timeouts.
     *
     * @param url the SOAP endpoint, e.g. {@code https://partner.example.com/soap} (a trailing
     *     {@code ?wsdl} is dropped)
     * @param username the sheet's {@code username}
     * @param password the sheet's {@code password}
     * @param digest true for the sheet's {@code password_type = "digest"}, false for {@code "text"}
     * @return a client; close it when done
     * @throws IllegalArgumentException for a URL that is not http(s), or a text password over
     *     plain http to a host other than loopback
     */
    public static PartnerClient connect(String url, String username, String password, boolean digest) {
        return builder().url(url).credentials(username, password, digest ? PasswordType.DIGEST : PasswordType.TEXT)
            .build();
    }

    /**
     * A builder, for timeouts, a TLS context (a private CA) or a clock.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    // ---- people ----------------------------------------------------------------------------

    /**
     * Saves a prospect (SaveProspect): inserts it, or updates the person its Id (or ExternalId) names.
     *
     * @param clubId this system's club number
     * @param prospect the prospect; fields left null keep their stored values
     * @return the result, with the Id to send on every later save
     */
    public SaveResult saveProspect(int clubId, Prospect prospect) {
        return saveProspect(clubId, prospect, false);
    }

    /**
     * Saves a prospect, or with {@code testOnly} only validates it (Action VALIDATED, nothing written).
     *
     * @param clubId this system's club number
     * @param prospect the prospect
     * @param testOnly validate without writing
     * @return the result
     */
    public SaveResult saveProspect(int clubId, Prospect prospect, boolean testOnly) {
        Objects.requireNonNull(prospect, "prospect");
        return call(Operations.SAVE_PROSPECT, testOnly || named(prospect.getId(), prospect.getExternalId()), w -> Operations.writeSaveProspect(w, clubId, prospect, flag(testOnly)));
    }

    /**
     * Saves a member (SaveMember); a prospect's Id or ExternalId converts that person, keeping the Id.
     *
     * @param clubId this system's club number
     * @param member the member
     * @return the result
     */
    public SaveResult saveMember(int clubId, Member member) {
        return saveMember(clubId, member, false);
    }

    /**
     * Saves a member, or with {@code testOnly} only validates it.
     *
     * @param clubId this system's club number
     * @param member the member
     * @param testOnly validate without writing
     * @return the result
     */
    public SaveResult saveMember(int clubId, Member member, boolean testOnly) {
        Objects.requireNonNull(member, "member");
        return call(Operations.SAVE_MEMBER, testOnly || named(member.getId(), member.getExternalId()), w -> Operations.writeSaveMember(w, clubId, member, flag(testOnly)));
    }

    /**
     * Saves an ex-member (SaveExMember); a prospect's or member's Id converts that person.
     *
     * @param clubId this system's club number
     * @param exMember the ex-member
     * @return the result
     */
    public SaveResult saveExMember(int clubId, Member exMember) {
        return saveExMember(clubId, exMember, false);
    }

    /**
     * Saves an ex-member, or with {@code testOnly} only validates it.
     *
     * @param clubId this system's club number
     * @param exMember the ex-member
     * @param testOnly validate without writing
     * @return the result
     */
    public SaveResult saveExMember(int clubId, Member exMember, boolean testOnly) {
        Objects.requireNonNull(exMember, "exMember");
        return call(Operations.SAVE_EX_MEMBER, testOnly || named(exMember.getId(), exMember.getExternalId()),
            w -> Operations.writeSaveExMember(w, clubId, exMember, flag(testOnly)));
    }

    /**
     * Saves 1 to 200 prospects in one call (SaveProspects). A record that fails answers Action
     * FAILED with its error and does not stop the others, unless {@code allOrNone}: then one
     * failure rolls the whole batch back and every record says so.
     *
     * @param clubId this system's club number
     * @param prospects 1 to {@value #MAX_BATCH} prospects
     * @param allOrNone save all or none
     * @return one result per record, in input order
     * @throws IllegalArgumentException for an empty batch or one of more than 200
     */
    public List<SaveResult> saveProspects(int clubId, List<Prospect> prospects, boolean allOrNone) {
        return saveProspects(clubId, prospects, allOrNone, false);
    }

    /**
     * Saves, or with {@code testOnly} only validates, 1 to 200 prospects.
     *
     * @param clubId this system's club number
     * @param prospects 1 to {@value #MAX_BATCH} prospects
     * @param allOrNone save all or none
     * @param testOnly validate without writing
     * @return one result per record, in input order
     */
    public List<SaveResult> saveProspects(int clubId, List<Prospect> prospects, boolean allOrNone, boolean testOnly) {
        List<Prospect> batch = batch(prospects, "prospects");
        boolean repeatable = testOnly || batch.stream().allMatch(p -> named(p.getId(), p.getExternalId()));
        return call(Operations.SAVE_PROSPECTS, repeatable,
            w -> Operations.writeSaveProspects(w, clubId, batch, flag(allOrNone), flag(testOnly)));
    }

    /**
     * Saves 1 to 200 members in one call (SaveMembers); as {@link #saveProspects(int, List, boolean)}.
     *
     * @param clubId this system's club number
     * @param members 1 to {@value #MAX_BATCH} members
     * @param allOrNone save all or none
     * @return one result per record, in input order
     */
    public List<SaveResult> saveMembers(int clubId, List<Member> members, boolean allOrNone) {
        return saveMembers(clubId, members, allOrNone, false);
    }

    /**
     * Saves, or with {@code testOnly} only validates, 1 to 200 members.
     *
     * @param clubId this system's club number
     * @param members 1 to {@value #MAX_BATCH} members
     * @param allOrNone save all or none
     * @param testOnly validate without writing
     * @return one result per record, in input order
     */
    public List<SaveResult> saveMembers(int clubId, List<Member> members, boolean allOrNone, boolean testOnly) {
        List<Member> batch = batch(members, "members");
        boolean repeatable = testOnly || batch.stream().allMatch(m -> named(m.getId(), m.getExternalId()));
        return call(Operations.SAVE_MEMBERS, repeatable,
            w -> Operations.writeSaveMembers(w, clubId, batch, flag(allOrNone), flag(testOnly)));
    }

    /**
     * Saves 1 to 200 ex-members in one call (SaveExMembers); as {@link #saveProspects(int, List, boolean)}.
     *
     * @param clubId this system's club number
     * @param exMembers 1 to {@value #MAX_BATCH} ex-members
     * @param allOrNone save all or none
     * @return one result per record, in input order
     */
    public List<SaveResult> saveExMembers(int clubId, List<Member> exMembers, boolean allOrNone) {
        return saveExMembers(clubId, exMembers, allOrNone, false);
    }

    /**
     * Saves, or with {@code testOnly} only validates, 1 to 200 ex-members.
     *
     * @param clubId this system's club number
     * @param exMembers 1 to {@value #MAX_BATCH} ex-members
     * @param allOrNone save all or none
     * @param testOnly validate without writing
     * @return one result per record, in input order
     */
    public List<SaveResult> saveExMembers(int clubId, List<Member> exMembers, boolean allOrNone, boolean testOnly) {
        List<Member> batch = batch(exMembers, "exMembers");
        boolean repeatable = testOnly || batch.stream().allMatch(m -> named(m.getId(), m.getExternalId()));
        return call(Operations.SAVE_EX_MEMBERS, repeatable,
            w -> Operations.writeSaveExMembers(w, clubId, batch, flag(allOrNone), flag(testOnly)));
    }

    // ---- staff and lead sources ------------------------------------------------------------

    /**
     * Staff of every club the credential may use (GetStaffList without ClubId).
     *
     * @return the staff, possibly empty
     */
    public List<Staff> getStaffList() {
        return call(Operations.GET_STAFF_LIST, true, w -> Operations.writeGetStaffList(w, null));
    }

    /**
     * Staff of one club (GetStaffList).
     *
     * @param clubId this system's club number
     * @return the staff, possibly empty
     */
    public List<Staff> getStaffList(int clubId) {
        return call(Operations.GET_STAFF_LIST, true, w -> Operations.writeGetStaffList(w, clubId));
    }

    /**
     * The staff member with this email, case-insensitive (GetStaffByEmail).
     *
     * @param email the email
     * @return the staff member
     * @throws PartnerNotFoundException when there is none
     */
    public Staff getStaffByEmail(String email) {
        Objects.requireNonNull(email, "email");
        return call(Operations.GET_STAFF_BY_EMAIL, true, w -> Operations.writeGetStaffByEmail(w, email));
    }

    /**
     * The staff member with this email, or empty when there is none.
     *
     * @param email the email
     * @return the staff member, or empty
     */
    public Optional<Staff> findStaffByEmail(String email) {
        try {
            return Optional.of(getStaffByEmail(email));
        } catch (PartnerNotFoundException e) {
            return Optional.empty();
        }
    }

    /**
     * Every lead source of the credential's client (GetLeadSources).
     *
     * @return the lead sources, possibly empty
     */
    public List<LeadSource> getLeadSources() {
        return call(Operations.GET_LEAD_SOURCES, true, Operations::writeGetLeadSources);
    }

    /**
     * Creates a lead source, or answers the existing one of that name (case-insensitive, Action
     * UNCHANGED); with a LeadSourceId, renames it (SaveLeadSource).
     *
     * @param leadSource the lead source
     * @return the result; its Id is the LeadSourceId
     */
    public SaveResult saveLeadSource(LeadSource leadSource) {
        return saveLeadSource(leadSource, false);
    }

    /**
     * Saves, or with {@code testOnly} only validates, a lead source.
     *
     * @param leadSource the lead source
     * @param testOnly validate without writing
     * @return the result
     */
    public SaveResult saveLeadSource(LeadSource leadSource, boolean testOnly) {
        Objects.requireNonNull(leadSource, "leadSource");
        return call(Operations.SAVE_LEAD_SOURCE, true, w -> Operations.writeSaveLeadSource(w, leadSource, flag(testOnly)));
    }

    // ---- the exchange ----------------------------------------------------------------------

    /**
     * Closes the client: later calls throw {@link IllegalStateException}. On Java 21 and later
     * this also closes the HTTP client's connections after the calls in flight.
     */
    @Override
    public void close() {
        closed = true;
        if (http instanceof AutoCloseable) {
            try {
                ((AutoCloseable) http).close();
            } catch (Exception e) {
                // closing releases connections only; there is nothing a caller could do
            }
        }
    }

    @Override
    public String toString() {
        return "PartnerClient[" + endpoint + ", " + token + "]";
    }

    /** The body of one request, written inside soapenv:Body. */
    interface BodyWriter {
        void write(XMLStreamWriter w) throws XMLStreamException;
    }

    /** A save that names its record (Id or ExternalId) updates that one record when repeated. */
    private static boolean named(String id, String externalId) {
        return id != null || externalId != null;
    }

    private static Boolean flag(boolean value) {
        return value ? Boolean.TRUE : null;
    }

    private static <T> List<T> batch(List<T> records, String name) {
        Objects.requireNonNull(records, name);
        if (records.isEmpty() || records.size() > MAX_BATCH) {
            throw new IllegalArgumentException(name + ": a batch holds 1 to " + MAX_BATCH + " records, not "
                + records.size());
        }
        for (T record : records) {
            Objects.requireNonNull(record, name + " holds a null record");
        }
        return List.copyOf(records);
    }

    /** The whole request envelope of one call, with a fresh UsernameToken. */
    byte[] envelope(BodyWriter body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(2048);
        try {
            XMLStreamWriter w;
            synchronized (OUTPUTS) {
                w = OUTPUTS.createXMLStreamWriter(out, "UTF-8");
            }
            w.writeStartDocument("UTF-8", "1.0");
            w.writeStartElement("soapenv", "Envelope", Xml.SOAP);
            w.writeNamespace("soapenv", Xml.SOAP);
            w.writeNamespace("tns", Xml.TNS);
            w.writeStartElement("soapenv", "Header", Xml.SOAP);
            token.write(w);
            w.writeEndElement();
            w.writeStartElement("soapenv", "Body", Xml.SOAP);
            body.write(w);
            w.writeEndElement();
            w.writeEndElement();
            w.writeEndDocument();
            w.close();
        } catch (XMLStreamException e) {
            throw new IllegalArgumentException("the request cannot be written as XML: " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    /**
     * One call. {@code repeatable}: sending it twice has the effect of sending it once (a read, a
     * test-only save, a save naming its records, a lead source matched by name); such a call is
     * sent again, at most twice and each time with a new token, when the connection broke
     * without an answer (typically a pooled connection the server had already closed: servers
     * close idle ones after a few seconds, Java's HTTP client keeps them for minutes).
     */
    <T> T call(Operation<T> operation, boolean repeatable, BodyWriter body) {
        if (closed) {
            throw new IllegalStateException("this PartnerClient is closed");
        }
        IOException failure = null;
        for (int attempt = 0; attempt <= STALE_CONNECTION_REPEATS; attempt++) {
            try {
                HttpResponse<byte[]> response = send(operation, body);
                return answer(operation, response.statusCode(), response.body());
            } catch (IOException e) {
                if (failure != null) {
                    e.addSuppressed(failure);
                }
                failure = e;
                if (!repeatable || e instanceof ConnectException || e instanceof SSLException) {
                    break;
                }
            }
        }
        throw transportFailure(operation, failure);
    }

    private HttpResponse<byte[]> send(Operation<?> operation, BodyWriter body) throws IOException {
        HttpRequest request = HttpRequest.newBuilder(endpoint)
            .timeout(requestTimeout)
            .header("Content-Type", "text/xml; charset=utf-8")
            .header("SOAPAction", "\"" + operation.name + "\"")
            .POST(HttpRequest.BodyPublishers.ofByteArray(envelope(body)))
            .build();
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpConnectTimeoutException e) {
            throw new PartnerTimeoutException(operation.name + ": no connection to " + endpoint.getHost()
                + " within the connect timeout", e);
        } catch (HttpTimeoutException e) {
            throw new PartnerTimeoutException(operation.name + ": no answer within the request timeout of "
                + requestTimeout.toMillis() + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PartnerTransportException(operation.name + ": interrupted while waiting for the answer", 0, e);
        }
    }

    private PartnerTransportException transportFailure(Operation<?> operation, IOException e) {
        return new PartnerTransportException(operation.name + ": " + endpoint.getHost() + " did not answer ("
            + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")", 0, e);
    }

    /** The result of an answer, or the exception of a fault or of something that is not SOAP. */
    static <T> T answer(Operation<T> operation, int status, byte[] body) {
        Element payload = payload(operation, status, body);
        if ("Fault".equals(payload.getLocalName()) && Xml.SOAP.equals(payload.getNamespaceURI())) {
            throw Faults.read(payload, status);
        }
        if (status != 200) {
            throw notSoap(operation, status, null);
        }
        if (!operation.responseElement.equals(payload.getLocalName()) || !Xml.TNS.equals(payload.getNamespaceURI())) {
            throw new PartnerTransportException(operation.name + ": the answer is " + payload.getLocalName()
                + ", not " + operation.responseElement, status, null);
        }
        return operation.reader.apply(payload);
    }

    private static Element payload(Operation<?> operation, int status, byte[] body) {
        Document document;
        try {
            document = Xml.parser().parse(new ByteArrayInputStream(body));
        } catch (SAXException | IOException e) {
            throw notSoap(operation, status, e);
        }
        Element envelope = document.getDocumentElement();
        Element soapBody = "Envelope".equals(envelope.getLocalName()) && Xml.SOAP.equals(envelope.getNamespaceURI())
            ? Xml.child(envelope, Xml.SOAP, "Body") : null;
        List<Element> payload = soapBody == null ? List.of() : Xml.children(soapBody);
        if (payload.isEmpty()) {
            throw notSoap(operation, status, null);
        }
        return payload.get(0);
    }

    private static PartnerTransportException notSoap(Operation<?> operation, int status, Throwable cause) {
        return new PartnerTransportException(operation.name + ": HTTP " + status + " without a SOAP answer", status,
            cause);
    }

    /**
     * Builds a {@link PartnerClient}; {@link #url(String)} and
     * {@link #credentials(String, String, PasswordType)} are required.
     */
    public static final class Builder {
        private URI endpoint;
        private String username;
        private String password;
        private PasswordType passwordType;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
        private SSLContext sslContext;
        private Clock clock = Clock.systemUTC();

        private Builder() {
        }

        /**
         * The SOAP endpoint from the turn-up sheet.
         *
         * @param url e.g. {@code https://partner.example.com/soap}; a trailing {@code ?wsdl} is dropped
         * @return this builder
         * @throws IllegalArgumentException for a URL that is not absolute http or https
         */
        public Builder url(String url) {
            Objects.requireNonNull(url, "url");
            String trimmed = url.trim();
            if (trimmed.endsWith("?wsdl") || trimmed.endsWith("?WSDL")) {
                trimmed = trimmed.substring(0, trimmed.length() - 5);
            }
            URI uri;
            try {
                uri = new URI(trimmed);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("not a URL: " + e.getReason(), e);
            }
            if (uri.getHost() == null || !("https".equals(uri.getScheme()) || "http".equals(uri.getScheme()))) {
                throw new IllegalArgumentException("the endpoint must be an http or https URL with a host");
            }
            this.endpoint = uri;
            return this;
        }

        /**
         * The credential from the turn-up sheet.
         *
         * @param username the sheet's {@code username}
         * @param password the sheet's {@code password}
         * @param type the sheet's {@code password_type}: DIGEST or TEXT
         * @return this builder
         */
        public Builder credentials(String username, String password, PasswordType type) {
            this.username = Objects.requireNonNull(username, "username");
            this.password = Objects.requireNonNull(password, "password");
            this.passwordType = Objects.requireNonNull(type, "type");
            return this;
        }

        /**
         * How long to wait for a TCP (and TLS) connection; default {@link #DEFAULT_CONNECT_TIMEOUT}.
         *
         * @param timeout a positive duration
         * @return this builder
         */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive(timeout, "connectTimeout");
            return this;
        }

        /**
         * How long one call may take once connected; default {@link #DEFAULT_REQUEST_TIMEOUT}. A
         * batch of 200 records takes longer than a single save: leave room for it.
         *
         * @param timeout a positive duration
         * @return this builder
         */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = positive(timeout, "requestTimeout");
            return this;
        }

        /**
         * The TLS context, e.g. one trusting the partner's private CA; default the JDK's.
         *
         * @param context the context
         * @return this builder
         */
        public Builder sslContext(SSLContext context) {
            this.sslContext = Objects.requireNonNull(context, "sslContext");
            return this;
        }

        /**
         * The clock for {@code wsu:Created}; default {@link Clock#systemUTC()}. The service
         * accepts Created 300 s in the past to 60 s in the future: keep the host's clock synced
         * (NTP) rather than offsetting it here; this exists for tests and for hosts whose clock
         * cannot be fixed.
         *
         * @param clock the clock
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * The client.
         *
         * @return a new client
         * @throws IllegalStateException without a URL or credentials
         * @throws IllegalArgumentException for a text password over plain http to a host other
         *     than loopback (TLS must protect it)
         */
        public PartnerClient build() {
            if (endpoint == null || username == null) {
                throw new IllegalStateException("url(...) and credentials(...) are required");
            }
            if (passwordType == PasswordType.TEXT && "http".equals(endpoint.getScheme()) && !loopback(endpoint)) {
                throw new IllegalArgumentException("a text password travels in clear: use an https URL");
            }
            return new PartnerClient(this);
        }

        private static boolean loopback(URI uri) {
            String host = uri.getHost();
            return "localhost".equalsIgnoreCase(host) || host.startsWith("127.") || "[::1]".equals(host)
                || "::1".equals(host);
        }

        private static Duration positive(Duration timeout, String name) {
            Objects.requireNonNull(timeout, name);
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException(name + " must be positive");
            }
            return timeout;
        }
    }
}
