package io.partnersoap.client;

/**
 * {@code Server.Unavailable}: the service cannot reach its database; nothing was saved. Retryable, later.
 */
public class PartnerUnavailableException extends PartnerFaultException {
    private static final long serialVersionUID = 1L;

    /**
     * The fault as answered.
     *
     * @param faultCode the code
     * @param faultString the service's message
     * @param field the element at fault, or null
     * @param correlationId the operator's reference, or null
     */
    public PartnerUnavailableException(String faultCode, String faultString, String field, String correlationId) {
        super(faultCode, faultString, field, correlationId);
    }

    @Override
    public boolean isRetryable() {
        return true;
    }
}
