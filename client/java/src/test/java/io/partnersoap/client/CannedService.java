package io.partnersoap.client;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A loopback HTTP server answering each SOAPAction with a canned status and body, recording
 * every request the client sent: the unit tests' stand-in for the wire, not for the service.
 */
final class CannedService implements AutoCloseable {
    static final String SOAP = "http://schemas.xmlsoap.org/soap/envelope/";

    static final class Answer {
        final int status;
        final String contentType;
        final byte[] body;
        final Duration delay;

        Answer(int status, String contentType, String body, Duration delay) {
            this.status = status;
            this.contentType = contentType;
            this.body = body.getBytes(StandardCharsets.UTF_8);
            this.delay = delay;
        }
    }

    static final class Request {
        final String soapAction;
        final String contentType;
        final byte[] body;

        Request(String soapAction, String contentType, byte[] body) {
            this.soapAction = soapAction;
            this.contentType = contentType;
            this.body = body;
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Map<String, Answer> answers = new ConcurrentHashMap<>();
    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(8);

    CannedService() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        server.setExecutor(executor);
        server.createContext("/soap", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            String action = exchange.getRequestHeaders().getFirst("SOAPAction");
            requests.add(new Request(action, exchange.getRequestHeaders().getFirst("Content-Type"), body));
            Answer answer = answers.get(action == null ? "" : action.replace("\"", ""));
            if (answer == null) {
                answer = answers.getOrDefault("*", new Answer(404, "text/plain", "no canned answer", Duration.ZERO));
            }
            try {
                Thread.sleep(answer.delay.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.getResponseHeaders().set("Content-Type", answer.contentType);
            try {
                exchange.sendResponseHeaders(answer.status, answer.body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(answer.body);
                }
            } catch (IOException e) {
                // the client gave up (a timeout test)
            }
        });
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/soap";
    }

    CannedService answer(String action, int status, String body) {
        answers.put(action, new Answer(status, "text/xml; charset=utf-8", body, Duration.ZERO));
        return this;
    }

    CannedService answer(String action, Answer answer) {
        answers.put(action, answer);
        return this;
    }

    /** A response envelope holding this payload, as the service writes it. */
    static String envelope(String payload) {
        return "<?xml version='1.0' encoding='UTF-8'?><soap11env:Envelope xmlns:soap11env=\"" + SOAP
            + "\" xmlns:tns=\"urn:connector-partner:v1\"><soap11env:Body>" + payload
            + "</soap11env:Body></soap11env:Envelope>";
    }

    static String fault(String code, String string, String detail) {
        String codeElement = code.startsWith("wsse:")
            ? "<faultcode xmlns:wsse=\"" + UsernameToken.WSSE + "\">" + code + "</faultcode>"
            : "<faultcode>soap11env:" + code + "</faultcode>";
        return envelope("<soap11env:Fault>" + codeElement + "<faultstring>" + string + "</faultstring>"
            + (detail == null ? "" : "<detail><tns:FaultDetail>" + detail + "</tns:FaultDetail></detail>")
            + "</soap11env:Fault>");
    }

    static final String SAVED = "<tns:SaveResult><tns:Id>41</tns:Id><tns:Action>Inserted</tns:Action>"
        + "<tns:UserType>Prospect</tns:UserType></tns:SaveResult>";

    /** A plausible answer for every operation. */
    CannedService answerEveryOperation() {
        for (String single : List.of("SaveProspect", "SaveMember", "SaveExMember", "SaveLeadSource")) {
            answer(single, 200, envelope("<tns:" + single + "Response>" + SAVED + "</tns:" + single + "Response>"));
        }
        for (String batch : List.of("SaveProspects", "SaveMembers", "SaveExMembers")) {
            answer(batch, 200, envelope("<tns:" + batch + "Response>" + SAVED + SAVED + "</tns:" + batch + "Response>"));
        }
        String staff = "<tns:Staff><tns:StaffId>7</tns:StaffId><tns:Email>jstaff@club.com</tns:Email>"
            + "<tns:FirstName>John</tns:FirstName><tns:LastName>Staff</tns:LastName><tns:Active>true</tns:Active>"
            + "<tns:ClubIds><tns:ClubId>1</tns:ClubId><tns:ClubId>2</tns:ClubId></tns:ClubIds></tns:Staff>";
        answer("GetStaffList", 200, envelope("<tns:GetStaffListResponse>" + staff + "</tns:GetStaffListResponse>"));
        answer("GetStaffByEmail", 200, envelope("<tns:GetStaffByEmailResponse>" + staff
            + "</tns:GetStaffByEmailResponse>"));
        answer("GetLeadSources", 200, envelope("<tns:GetLeadSourcesResponse><tns:LeadSource><tns:LeadSourceId>3"
            + "</tns:LeadSourceId><tns:Name>Web</tns:Name></tns:LeadSource></tns:GetLeadSourcesResponse>"));
        return this;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
