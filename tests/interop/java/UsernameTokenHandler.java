// The WS-Security UsernameToken (PasswordDigest) header that docs/interop.md gives Java
// JAX-WS RI users: plain JAX-WS has no WS-Security, so a SOAPHandler writes it, with a
// fresh Nonce and Created on every outgoing message (retries included).

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Set;
import javax.xml.namespace.QName;
import javax.xml.soap.SOAPElement;
import javax.xml.soap.SOAPEnvelope;
import javax.xml.soap.SOAPException;
import javax.xml.soap.SOAPHeader;
import javax.xml.soap.SOAPHeaderElement;
import javax.xml.ws.WebServiceException;
import javax.xml.ws.handler.MessageContext;
import javax.xml.ws.handler.soap.SOAPHandler;
import javax.xml.ws.handler.soap.SOAPMessageContext;

final class UsernameTokenHandler implements SOAPHandler<SOAPMessageContext> {
    static final String WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
    static final String WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
    static final String PROFILE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0";
    private final String user, password;
    private final SecureRandom random = new SecureRandom();
    UsernameTokenHandler(String user, String password) { this.user = user; this.password = password; }

    public boolean handleMessage(SOAPMessageContext ctx) {
        if (!(Boolean) ctx.get(MessageContext.MESSAGE_OUTBOUND_PROPERTY)) return true;
        try {
            byte[] nonce = new byte[16];
            random.nextBytes(nonce);
            String created = DateTimeFormatter.ISO_INSTANT.format(Instant.now().truncatedTo(ChronoUnit.SECONDS));
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            sha1.update(nonce);
            sha1.update(created.getBytes(StandardCharsets.UTF_8));
            sha1.update(password.getBytes(StandardCharsets.UTF_8));
            String digest = Base64.getEncoder().encodeToString(sha1.digest());

            SOAPEnvelope env = ctx.getMessage().getSOAPPart().getEnvelope();
            SOAPHeader header = env.getHeader() != null ? env.getHeader() : env.addHeader();
            SOAPHeaderElement security = header.addHeaderElement(new QName(WSSE, "Security", "wsse"));
            security.setMustUnderstand(true);
            SOAPElement token = security.addChildElement("UsernameToken", "wsse");
            token.addChildElement("Username", "wsse").addTextNode(user);
            SOAPElement pw = token.addChildElement("Password", "wsse");
            pw.setAttribute("Type", PROFILE + "#PasswordDigest");
            pw.addTextNode(digest);
            SOAPElement n = token.addChildElement("Nonce", "wsse");
            n.setAttribute("EncodingType",
                "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary");
            n.addTextNode(Base64.getEncoder().encodeToString(nonce));
            token.addChildElement(new QName(WSU, "Created", "wsu")).addTextNode(created);
        } catch (SOAPException | NoSuchAlgorithmException e) {
            throw new WebServiceException(e);
        }
        return true;
    }
    public Set<QName> getHeaders() { return Set.of(); }
    public boolean handleFault(SOAPMessageContext ctx) { return true; }
    public void close(MessageContext ctx) { }
}
