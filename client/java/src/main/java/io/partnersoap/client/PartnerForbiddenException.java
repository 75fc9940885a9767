package io.partnersoap.client;

/**
 * {@code Client.Forbidden}: a club outside the credential's client or its club scope. Not retryable.
 */
public class PartnerForbiddenException extends PartnerFaultException {
    private static final long serialVersionUID = 1L;

    /**
     * The fault as answered.
     *
     * @param faultCode the code
     * @param faultString the service's message
     * @param field the element at fault, or null
     * @param correlationId the operator's reference, or null
     */
    public PartnerForbiddenException(String faultCode, String faultString, String field, String correlationId) {
        super(faultCode, faultString, field, correlationId);
    }
}
