package io.partnersoap.client;

/**
 * {@code wsse:FailedAuthentication}: unknown username or wrong password (indistinguishable on purpose). Not retryable: check the turn-up sheet's credential and password type.
 */
public class PartnerAuthenticationException extends PartnerSecurityException {
    private static final long serialVersionUID = 1L;

    /**
     * The fault as answered.
     *
     * @param faultCode the code
     * @param faultString the service's message
     * @param field the element at fault, or null
     * @param correlationId the operator's reference, or null
     */
    public PartnerAuthenticationException(String faultCode, String faultString, String field, String correlationId) {
        super(faultCode, faultString, field, correlationId);
    }
}
