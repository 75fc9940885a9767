package io.partnersoap.client;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/**
 * The WS-Security header of every call (OASIS UsernameToken Profile 1.1): a fresh 16-byte
 * nonce from {@link SecureRandom} and {@code wsu:Created} in UTC ({@code Z}, milliseconds) on
 * each message, with a PasswordDigest or a PasswordText. Holds the password; never prints it.
 */
final class UsernameToken {
    static final String WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
    static final String WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
    static final String PROFILE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0";
    static final String BASE64_BINARY =
        "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary";
    static final int NONCE_BYTES = 16;
    private static final DateTimeFormatter CREATED =
        DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private final String username;
    private final String password;
    private final PasswordType type;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    UsernameToken(String username, String password, PasswordType type, Clock clock) {
        this.username = username;
        this.password = password;
        this.type = type;
        this.clock = clock;
    }

    /**
     * Base64(SHA-1(nonce + created + password)), the profile's PasswordDigest.
     *
     * @param nonce the nonce's bytes (not its Base64 text)
     * @param created {@code wsu:Created} exactly as sent
     * @param password the password
     * @return the digest's Base64 text
     */
    static String digest(byte[] nonce, String created, String password) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            sha1.update(nonce);
            sha1.update(created.getBytes(StandardCharsets.UTF_8));
            sha1.update(password.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(sha1.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-1", e);
        }
    }

    /** Writes {@code wsse:Security} with a new nonce and Created. */
    void write(XMLStreamWriter w) throws XMLStreamException {
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        String created = CREATED.format(clock.instant());
        w.writeStartElement("wsse", "Security", WSSE);
        w.writeNamespace("wsse", WSSE);
        w.writeNamespace("wsu", WSU);
        w.writeAttribute("soapenv", Xml.SOAP, "mustUnderstand", "1");
        w.writeStartElement("wsse", "UsernameToken", WSSE);
        w.writeStartElement("wsse", "Username", WSSE);
        w.writeCharacters(username);
        w.writeEndElement();
        w.writeStartElement("wsse", "Password", WSSE);
        w.writeAttribute("Type", type.typeUri());
        w.writeCharacters(type == PasswordType.DIGEST ? digest(nonce, created, password) : password);
        w.writeEndElement();
        w.writeStartElement("wsse", "Nonce", WSSE);
        w.writeAttribute("EncodingType", BASE64_BINARY);
        w.writeCharacters(Base64.getEncoder().encodeToString(nonce));
        w.writeEndElement();
        w.writeStartElement("wsu", "Created", WSU);
        w.writeCharacters(created);
        w.writeEndElement();
        w.writeEndElement();
        w.writeEndElement();
    }

    String username() {
        return username;
    }

    PasswordType type() {
        return type;
    }

    @Override
    public String toString() {
        return "UsernameToken[" + username + ", " + type + "]";
    }
}
