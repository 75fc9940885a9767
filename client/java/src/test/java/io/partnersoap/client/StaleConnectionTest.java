package io.partnersoap.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.partnersoap.client.model.Prospect;
import io.partnersoap.client.model.SaveAction;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * A server that answers one request per connection and then closes it without saying so
 * (as one closing idle keep-alive connections does): a repeatable call is sent again on a new
 * connection with a new token; a save that names no record is not (it might duplicate).
 */
class StaleConnectionTest {
    private static final String SAVED = CannedService.envelope("<tns:SaveProspectResponse>" + CannedService.SAVED
        + "</tns:SaveProspectResponse>");

    /** Answers the first request of each connection; reads the second and closes without a byte. */
    static final class OneRequestPerConnection implements AutoCloseable {
        final ServerSocket server;
        final List<String> requests = new CopyOnWriteArrayList<>();

        OneRequestPerConnection() throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread acceptor = new Thread(this::serve, "one-request-per-connection");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        private void serve() {
            while (!server.isClosed()) {
                try {
                    Socket socket = server.accept();
                    Thread connection = new Thread(() -> handle(socket));
                    connection.setDaemon(true);
                    connection.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void handle(Socket socket) {
            try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
                requests.add(read(in));
                byte[] body = SAVED.getBytes(StandardCharsets.UTF_8);
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: " + body.length
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
                String next = read(in);
                if (next != null) {
                    requests.add(next);
                }
            } catch (IOException e) {
                // the client went away
            }
        }

        private static String read(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int matched = 0;
            while (matched < 4) {
                int b = in.read();
                if (b < 0) {
                    return null;
                }
                head.write(b);
                matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
            }
            String headers = head.toString(StandardCharsets.US_ASCII);
            int length = 0;
            for (String line : headers.split("\r\n")) {
                if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(line.substring(15).trim());
                }
            }
            return new String(in.readNBytes(length), StandardCharsets.UTF_8);
        }

        String url() {
            return "http://127.0.0.1:" + server.getLocalPort() + "/soap";
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    private static String nonce(String envelope) {
        int start = envelope.indexOf("<wsse:Nonce");
        return envelope.substring(envelope.indexOf('>', start) + 1, envelope.indexOf("</wsse:Nonce>"));
    }

    @Test
    void aSaveNamingItsRecordIsSentAgainWithANewNonce() throws Exception {
        try (OneRequestPerConnection server = new OneRequestPerConnection();
             PartnerClient client = PartnerClient.connect(server.url(), "u", "p", true)) {
            Prospect named = new Prospect().setExternalId("e-1").setFirstName("F").setLastName("L");
            assertEquals(SaveAction.INSERTED, client.saveProspect(1, named).getAction());
            assertEquals(SaveAction.INSERTED, client.saveProspect(1, named).getAction());
            assertEquals(3, server.requests.size(), "the second call's first attempt met a closed connection");
            assertNotEquals(nonce(server.requests.get(1)), nonce(server.requests.get(2)));
        }
    }

    @Test
    void aSaveNamingNoRecordIsNotSentAgain() throws Exception {
        try (OneRequestPerConnection server = new OneRequestPerConnection();
             PartnerClient client = PartnerClient.connect(server.url(), "u", "p", true)) {
            Prospect anonymous = new Prospect().setFirstName("F").setLastName("L");
            assertEquals(SaveAction.INSERTED, client.saveProspect(1, anonymous).getAction());
            PartnerTransportException failure = assertThrows(PartnerTransportException.class,
                () -> client.saveProspect(1, anonymous));
            assertEquals(0, failure.getHttpStatus());
            assertEquals(2, server.requests.size());
        }
    }
}
