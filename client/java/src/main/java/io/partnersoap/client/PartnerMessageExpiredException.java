package io.partnersoap.client;

/**
 * {@code wsse:MessageExpired}: the token's Created lies outside the service's window (300 s in the past, 60 s in the future), or its nonce was seen before. Not retryable: check this host's clock (NTP).
 */
public class PartnerMessageExpiredException extends PartnerSecurityException {
    private static final long serialVersionUID = 1L;

    /**
     * The fault as answered.
     *
     * @param faultCode the code
     * @param faultString the service's message
     * @param field the element at fault, or null
     * @param correlationId the operator's reference, or null
     */
    public PartnerMessageExpiredException(String faultCode, String faultString, String field, String correlationId) {
        super(faultCode, faultString, field, correlationId);
    }
}
