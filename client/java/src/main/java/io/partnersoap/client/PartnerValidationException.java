package io.partnersoap.client;

/**
 * {@code Client.Validation}: a value the contract refuses; {@link #getField()} names the element. Nothing was saved. Not retryable: fix the record.
 */
public class PartnerValidationException extends PartnerFaultException {
    private static final long serialVersionUID = 1L;

    /**
     * The fault as answered.
     *
     * @param faultCode the code
     * @param faultString the service's message
     * @param field the element at fault, or null
     * @param correlationId the operator's reference, or null
     */
    public PartnerValidationException(String faultCode, String faultString, String field, String correlationId) {
        super(faultCode, faultString, field, correlationId);
    }
}
