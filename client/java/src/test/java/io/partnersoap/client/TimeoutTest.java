package io.partnersoap.client;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TimeoutTest {
    @Test
    void aSlowAnswerEndsAtTheRequestTimeout() throws Exception {
        try (CannedService service = new CannedService()) {
            service.answer("GetLeadSources", new CannedService.Answer(200, "text/xml", "<x/>", Duration.ofSeconds(5)));
            PartnerClient client = PartnerClient.builder().url(service.url()).credentials("u", "p", PasswordType.DIGEST)
                .requestTimeout(Duration.ofMillis(300)).build();
            long start = System.nanoTime();
            PartnerTimeoutException timeout = assertThrows(PartnerTimeoutException.class, client::getLeadSources);
            long took = (System.nanoTime() - start) / 1_000_000;
            assertTrue(took < 3_000, "took " + took + " ms");
            assertTrue(timeout.isRetryable());
        }
    }

    @Test
    void aConnectionThatIsNeverAcceptedEndsAtTheConnectTimeout() throws Exception {
        // A listening socket whose backlog is full: the kernel drops further SYNs, so connecting hangs.
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            List<Socket> fillers = new ArrayList<>();
            try {
                for (int i = 0; i < 8; i++) {
                    Socket filler = new Socket();
                    try {
                        filler.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort()), 200);
                        fillers.add(filler);
                    } catch (IOException full) {
                        filler.close();
                        break;
                    }
                }
                PartnerClient client = PartnerClient.builder()
                    .url("http://127.0.0.1:" + server.getLocalPort() + "/soap")
                    .credentials("u", "p", PasswordType.DIGEST)
                    .connectTimeout(Duration.ofMillis(300)).requestTimeout(Duration.ofSeconds(20)).build();
                long start = System.nanoTime();
                PartnerTimeoutException timeout = assertThrows(PartnerTimeoutException.class, client::getLeadSources);
                long took = (System.nanoTime() - start) / 1_000_000;
                assertTrue(took < 10_000, "took " + took + " ms");
                assertTrue(timeout.getMessage().contains("connect"), timeout.getMessage());
            } finally {
                for (Socket filler : fillers) {
                    filler.close();
                }
            }
        }
    }

    @Test
    void timeoutsAreAlwaysSetAndMustBePositive() {
        assertTrue(PartnerClient.DEFAULT_CONNECT_TIMEOUT.toSeconds() > 0);
        assertTrue(PartnerClient.DEFAULT_REQUEST_TIMEOUT.toSeconds() > 0);
        PartnerClient.Builder builder = PartnerClient.builder();
        assertThrows(IllegalArgumentException.class, () -> builder.requestTimeout(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> builder.connectTimeout(Duration.ofSeconds(-1)));
        assertThrows(NullPointerException.class, () -> builder.requestTimeout(null));
    }

    @Test
    void aTextPasswordNeedsTlsExceptOnLoopbackAndAClosedClientRefusesCalls() {
        assertThrows(IllegalArgumentException.class,
            () -> PartnerClient.connect("http://partner.example.com/soap", "u", "p", false));
        assertThrows(IllegalArgumentException.class, () -> PartnerClient.connect("ftp://x/soap", "u", "p", true));
        assertThrows(IllegalStateException.class, () -> PartnerClient.builder().url("https://x/soap").build());
        PartnerClient client = PartnerClient.connect("http://localhost:9/soap", "u", "p", false);
        client.close();
        assertThrows(IllegalStateException.class, client::getLeadSources);
    }
}
