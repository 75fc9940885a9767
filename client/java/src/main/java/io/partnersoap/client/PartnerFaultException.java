package io.partnersoap.client;

/**
 * A SOAP fault the service answered. The subclasses name the contract's codes; this class
 * itself stands for a code this version of the library does not know.
 */
public class PartnerFaultException extends PartnerException {
    private static final long serialVersionUID = 1L;

    private final String faultCode;
    private final String faultString;
    private final String field;
    private final String correlationId;
    private final boolean transientRefusal;

    /**
     * A fault as answered.
     *
     * @param faultCode the code as on the wire without the SOAP envelope's prefix, e.g.
     *     {@code Client.Validation}, or with {@code wsse:} for a WS-Security code
     * @param faultString the service's message
     * @param field the element at fault (detail/FaultDetail/Field), or null
     * @param correlationId the operator's reference for a Server fault, or null
     */
    public PartnerFaultException(String faultCode, String faultString, String field, String correlationId) {
        this(faultCode, faultString, field, correlationId, false);
    }

    /** A fault of a code this library does not type; {@code transientRefusal}: HTTP 408 or 429. */
    PartnerFaultException(String faultCode, String faultString, String field, String correlationId,
            boolean transientRefusal) {
        super(describe(faultCode, faultString, field), null);
        this.faultCode = faultCode;
        this.faultString = faultString;
        this.field = field;
        this.correlationId = correlationId;
        this.transientRefusal = transientRefusal;
    }

    /**
     * For a fault of a code this library does not type: true when it came with HTTP 408 (the
     * request arrived too slowly) or 429 (too many requests: a front's throttling); the
     * subclasses say their own.
     *
     * @return whether a retry, later, may succeed
     */
    @Override
    public boolean isRetryable() {
        return transientRefusal;
    }

    private static String describe(String code, String string, String field) {
        return code + ": " + string + (field == null ? "" : " (field " + field + ")");
    }

    /**
     * The fault code, e.g. {@code Client.Validation}, {@code Server.Unavailable} or
     * {@code wsse:FailedAuthentication}.
     *
     * @return the code
     */
    public String getFaultCode() {
        return faultCode;
    }

    /**
     * The service's message (never the request's data).
     *
     * @return the fault string
     */
    public String getFaultString() {
        return faultString;
    }

    /**
     * The element at fault, for {@code Client.Validation}.
     *
     * @return the element's name, e.g. {@code LeadOwnerId}, or null
     */
    public String getField() {
        return field;
    }

    /**
     * The correlation ID of a {@code Server} fault: quote it to the operator, whose log has it.
     *
     * @return the ID, or null
     */
    public String getCorrelationId() {
        return correlationId;
    }
}
