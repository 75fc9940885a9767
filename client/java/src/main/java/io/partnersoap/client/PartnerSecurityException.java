package io.partnersoap.client;

/**
 * A WS-Security fault: {@code wsse:InvalidSecurity} (no or malformed header) or another {@code wsse:} code. Not retryable.
 */
public class PartnerSecurityException extends PartnerFaultException {
    private static final long serialVersionUID = 1L;

    /**
     * The fault as answered.
     *
     * @param faultCode the code
     * @param faultString the service's message
     * @param field the element at fault, or null
     * @param correlationId the operator's reference, or null
     */
    public PartnerSecurityException(String faultCode, String faultString, String field, String correlationId) {
        super(faultCode, faultString, field, correlationId);
    }
}
