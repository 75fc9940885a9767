package io.partnersoap.client;

/**
 * The connection or the answer took longer than the client's connect or request timeout.
 * Retryable; the service may have saved the record, so retry with its Id or ExternalId.
 */
public class PartnerTimeoutException extends PartnerTransportException {
    private static final long serialVersionUID = 1L;

    /**
     * A timeout.
     *
     * @param message which timeout expired
     * @param cause the underlying exception
     */
    public PartnerTimeoutException(String message, Throwable cause) {
        super(message, 0, cause);
    }
}
