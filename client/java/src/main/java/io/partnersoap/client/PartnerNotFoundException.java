package io.partnersoap.client;

/**
 * {@code Client.NotFound}: the Id or email names nothing of this client. Not retryable.
 */
public class PartnerNotFoundException extends PartnerFaultException {
    private static final long serialVersionUID = 1L;

    /**
     * The fault as answered.
     *
     * @param faultCode the code
     * @param faultString the service's message
     * @param field the element at fault, or null
     * @param correlationId the operator's reference, or null
     */
    public PartnerNotFoundException(String faultCode, String faultString, String field, String correlationId) {
        super(faultCode, faultString, field, correlationId);
    }
}
