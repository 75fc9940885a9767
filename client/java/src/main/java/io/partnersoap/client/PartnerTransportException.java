package io.partnersoap.client;

/**
 * No SOAP answer: the connection was refused or dropped, TLS trust failed, or the HTTP answer
 * was an error without a SOAP body (a proxy's 502, for example). Retryable: the service may
 * or may not have received the request, so retry saves that name their record.
 */
public class PartnerTransportException extends PartnerException {
    private static final long serialVersionUID = 1L;

    private final int httpStatus;

    /**
     * A transport failure.
     *
     * @param message what went wrong
     * @param httpStatus the HTTP status of an answer without a SOAP body, or 0 when none came
     * @param cause the underlying exception, or null
     */
    public PartnerTransportException(String message, int httpStatus, Throwable cause) {
        super(message, cause);
        this.httpStatus = httpStatus;
    }

    /**
     * The HTTP status of the answer.
     *
     * @return the status of an answer that was not SOAP, or 0 when there was no answer
     */
    public int getHttpStatus() {
        return httpStatus;
    }

    @Override
    public boolean isRetryable() {
        return true;
    }
}
