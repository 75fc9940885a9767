package io.partnersoap.client;

/**
 * {@code Server}: an unexpected error of the service; quote {@link #getCorrelationId()} to the operator. Not retried by default (the same call will likely fail the same way).
 */
public class PartnerServerException extends PartnerFaultException {
    private static final long serialVersionUID = 1L;

    /**
     * The fault as answered.
     *
     * @param faultCode the code
     * @param faultString the service's message
     * @param field the element at fault, or null
     * @param correlationId the operator's reference, or null
     */
    public PartnerServerException(String faultCode, String faultString, String field, String correlationId) {
        super(faultCode, faultString, field, correlationId);
    }
}
