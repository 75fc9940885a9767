package io.partnersoap.client;

/**
 * Every failure of a call: a SOAP fault the service answered ({@link PartnerFaultException}) or
 * no SOAP answer at all ({@link PartnerTransportException}). Unchecked; messages never carry a
 * password, a digest or a record's personal data.
 */
public class PartnerException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * A failure with a message.
     *
     * @param message what went wrong
     * @param cause the underlying exception, or null
     */
    public PartnerException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * Whether sending the same call again may succeed: true for a service that is temporarily
     * unavailable, a timeout and a transport failure; false for anything the caller must fix.
     * A save that names its record (Id or ExternalId) is safe to retry: it never duplicates.
     *
     * @return whether a retry may succeed
     */
    public boolean isRetryable() {
        return false;
    }
}
