/**
 * The Java client of the partner SOAP service: {@link io.partnersoap.client.PartnerClient} (one
 * method per operation, a WS-Security UsernameToken on every call), its unchecked exceptions
 * ({@link io.partnersoap.client.PartnerException} and below, each saying whether to retry) and
 * {@link io.partnersoap.client.PasswordType}. No dependency beyond the JDK.
 */
package io.partnersoap.client;
