package dev.duplex.it;

import static dev.duplex.support.ChatTestClient.chatUri;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.duplex.support.SuperchatContract;
import dev.duplex.support.ChatTestClient;
import dev.duplex.support.RawWebSocket;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The contract of docs/PROTOCOL.md against the real WAR deployed on Payara Micro, plus what only
 * a servlet container has: operator notices and the handshake origin check. arquillian.xml starts
 * the server with admin token {@code it-secret} and allowed origin {@code https://allowed.example}.
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
class DeployedChatIT extends SuperchatContract {

    private static final String TOKEN = "it-secret";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(ChatTestClient.TIMEOUT).build();

    @ArquillianResource
    private URL deployment;

    @Deployment(testable = false)
    static WebArchive war() {
        return PackagedWar.named("duplex.war");
    }

    @Override
    protected URI wsBase() {
        return loopback("ws");
    }

    private URI loopback(String scheme) {
        return PackagedWar.loopback(deployment, scheme);
    }

    // PROTOCOL.md "Operator notices": every session, every room, both sub-protocols.
    @Test
    void noticeReachesEverySessionInEveryRoom() throws Exception {
        try (ChatTestClient chat = ChatTestClient.join(wsBase(), "alice", freshRoom(), "chat");
             ChatTestClient superchat = ChatTestClient.join(wsBase(), "bob", freshRoom(), "superchat")) {
            HttpResponse<String> response = postNotice("Bearer " + TOKEN, "{\"text\":\"server restarts at 18:00\"}");
            assertEquals(202, response.statusCode(), response.body());
            String id = json(response.body()).getString("id");
            for (ChatTestClient client : new ChatTestClient[] {chat, superchat}) {
                JsonObject notice = client.expect("notice");
                assertEquals(id, notice.getString("id"));
                assertEquals("server restarts at 18:00", notice.getString("text"));
                java.time.Instant.parse(notice.getString("ts"));
            }
        }
    }

    // PROTOCOL.md "Operator notices": 401 without the right token, nothing published.
    @Test
    void noticeNeedsTheBearerToken() throws Exception {
        try (ChatTestClient alice = ChatTestClient.join(wsBase(), "alice", freshRoom(), "chat")) {
            assertEquals(401, postNotice(null, "{\"text\":\"x\"}").statusCode());
            assertEquals(401, postNotice("Bearer wrong", "{\"text\":\"x\"}").statusCode());
            assertEquals(401, postNotice("Basic " + TOKEN, "{\"text\":\"x\"}").statusCode());
            assertEquals(401, postNotice("Bearer " + TOKEN + "x", "{\"text\":\"x\"}").statusCode());
            alice.say("marker");
            assertEquals("message", alice.next().getString("type"), "no notice was published");
        }
    }

    // PROTOCOL.md "Operator notices": bad bodies get 400 with the same error codes as frames.
    @Test
    void noticeRefusesBadBodies() throws Exception {
        assertNoticeRefused("{\"text\":\"   \"}", 400, "blank-text");
        assertNoticeRefused("{}", 400, "blank-text");
        assertNoticeRefused("{\"text\":\"" + "x".repeat(4001) + "\"}", 400, "too-long");
        assertNoticeRefused("{\"text\":", 400, "bad-json");
        assertNoticeRefused("{\"text\":42}", 400, "bad-frame");
        assertNoticeRefused("x".repeat(70_000), 413, "too-long");
    }

    // PROTOCOL.md "Origin check": foreign browser origins get HTTP 403 before any upgrade.
    @Test
    void refusesForeignOrigins() {
        URI uri = chatUri(wsBase(), "mallory", null);
        assertEquals(403, ChatTestClient.refusedHandshakeStatus(uri, Map.of("Origin", "http://evil.example"), "chat"));
        assertEquals(403, ChatTestClient.refusedHandshakeStatus(uri, Map.of("Origin", "null"), "chat"));
        assertEquals(403, ChatTestClient.refusedHandshakeStatus(
                uri, Map.of("Origin", "http://127.0.0.1:" + (uri.getPort() + 1)), "chat"));
    }

    // PROTOCOL.md "Origin check": own host, listed origins and non-browser clients get in.
    @Test
    void acceptsOwnAndListedOriginsAndNoOrigin() {
        URI uri = chatUri(wsBase(), "alice", null);
        for (Map<String, String> headers : java.util.List.of(
                Map.of("Origin", "http://127.0.0.1:" + uri.getPort()),
                Map.of("Origin", "https://allowed.example"),
                Map.<String, String>of())) {
            try (ChatTestClient client = ChatTestClient.connect(uri, headers, "chat")) {
                assertEquals("welcome", client.next().getString("type"), headers.toString());
            }
        }
    }

    // The whole of docs/PROTOCOL.md, checked by a client that shares no code with Duplex:
    // Python's websockets library, driven by src/test/blackbox/contract_test.py.
    @Test
    void blackBoxClientPassesTheContract() throws Exception {
        BlackBox.assumeAvailable();
        BlackBox.Result result = BlackBox.run(loopback("http"), TOKEN, "https://allowed.example");
        assertEquals(0, result.exitCode(), result.output());
        assertTrue(result.output().lines().anyMatch(line -> line.matches("\\d+ passed, 0 failed")), result.output());
    }

    // PROTOCOL.md "Close codes" 4009: one address may hold at most 200 sessions (the default).
    @Test
    void capsSessionsPerRemoteAddress() throws Exception {
        int cap = 200;
        // A loopback source address of our own, so other tests' sessions do not count.
        String source = "127.0.0." + (2 + new java.util.Random().nextInt(250));
        URI uri = chatUri(wsBase(), "many", freshRoom());
        java.util.List<RawWebSocket> open = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < cap; i++) {
                RawWebSocket socket = RawWebSocket.connect(uri, source, Map.of(), "chat");
                open.add(socket);
                assertTrue(socket.readText().contains("\"welcome\""), "session " + i + " is admitted");
            }
            try (RawWebSocket extra = RawWebSocket.connect(uri, source, Map.of(), "chat")) {
                assertEquals(4009, extra.readUntilClose());
            }
            try (RawWebSocket elsewhere = RawWebSocket.connect(uri, "127.0.0.1", Map.of(), "chat")) {
                assertTrue(elsewhere.readText().contains("\"welcome\""), "other addresses are not affected");
            }
        } finally {
            for (RawWebSocket socket : open) {
                socket.close();
            }
        }
    }

    private void assertNoticeRefused(String body, int status, String code) throws Exception {
        HttpResponse<String> response = postNotice("Bearer " + TOKEN, body);
        assertEquals(status, response.statusCode(), response.body());
        JsonObject error = json(response.body());
        assertEquals(code, error.getString("code"));
        assertTrue(!error.getString("message").isBlank());
    }

    private HttpResponse<String> postNotice(String authorization, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(loopback("http").resolve("api/notices"))
                .timeout(ChatTestClient.TIMEOUT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonObject json(String text) {
        try (var reader = Json.createReader(new StringReader(text))) {
            return reader.readObject();
        }
    }
}
