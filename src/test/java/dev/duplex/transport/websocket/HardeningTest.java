package dev.duplex.transport.websocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.duplex.config.DuplexConfig;
import dev.duplex.app.Duplex;
import dev.duplex.app.DuplexLocator;
import dev.duplex.support.ChatTestClient;
import dev.duplex.support.RawWebSocket;
import jakarta.json.JsonObject;
import java.net.URI;
import java.util.Map;
import org.glassfish.tyrus.server.Server;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Slow consumers, floods and dead connections, in-process on Tyrus with small limits so each
 * behaviour shows quickly (docs/PROTOCOL.md "Close codes", "Rate limits", "Liveness").
 */
class HardeningTest {

    private Server server;
    private Duplex duplex;

    private URI start(Map<String, String> settings) throws Exception {
        duplex = new Duplex(DuplexConfig.of(settings));
        DuplexLocator.install(duplex);
        server = new Server("127.0.0.1", -1, "/", Map.of(), ChatEndpoint.class);
        server.start();
        return URI.create("ws://127.0.0.1:" + server.getPort() + "/");
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop();
        }
        assertEquals(0, duplex.sessions().unexpectedErrors());
        DuplexLocator.shutdown();
    }

    // PROTOCOL.md "Rate limits": rate-limited with a retry hint, then 4029 if it goes on.
    @Test
    void aFloodGetsRateLimitedThenDisconnectedWith4029() throws Exception {
        URI base = start(Map.of("rate.limit", "1", "rate.burst", "5"));
        try (ChatTestClient flooder = ChatTestClient.join(base, "flood", "r", "chat");
             ChatTestClient bystander = ChatTestClient.join(base, "calm", "r", "chat")) {
            for (int i = 0; i < 5; i++) {
                flooder.send("{\"type\":\"ping\"}");
            }
            for (int i = 0; i < 5; i++) {
                flooder.expect("pong");
            }
            flooder.send("{\"type\":\"ping\"}");
            JsonObject limited = flooder.expectError("rate-limited");
            assertTrue(limited.getJsonNumber("retryAfterMs").longValue() > 0, limited.toString());
            for (int i = 0; i < 10 && flooder.pending() >= 0; i++) {
                try {
                    flooder.send("{\"type\":\"ping\"}");
                } catch (AssertionError closedMeanwhile) {
                    break;
                }
            }
            assertEquals(4029, flooder.awaitClose().code());
            bystander.say("still fine");
            assertEquals("still fine", bystander.expect("message").getString("text"));
        }
    }

    // PROTOCOL.md "Liveness": a peer that answers no ping is closed with 4008; one that does stays.
    @Test
    void aSilentPeerIsClosedWith4008AndALiveOneStays() throws Exception {
        URI base = start(Map.of("idle.timeout.seconds", "3"));
        try (RawWebSocket deaf = RawWebSocket.connect(base.resolve("chat?name=deaf"), "chat");
             ChatTestClient alive = ChatTestClient.join(base, "alive", "lobby", "chat")) {
            assertEquals(4008, deaf.readUntilClose(), "pings unanswered for the idle timeout");
            alive.send("{\"type\":\"ping\"}");
            alive.expect("pong"); // the JDK client answered the server's pings
        }
    }

    // PROTOCOL.md "Close codes" 4003: a reader that stops reading is cut off; the room goes on.
    @Test
    void aReaderThatStopsReadingIsClosedWith4003AndTheRoomGoesOn() throws Exception {
        // The idle timeout is far away, so that the stalled reader cannot be closed as silent (4008)
        // before the bytes it did not take make it too slow, however slowly this machine sends them.
        URI base = start(Map.of("rate.burst", "0", "send.buffer.bytes", "65536", "send.timeout.seconds", "2",
                "idle.timeout.seconds", "120"));
        int messages = 2000;
        String text = "x".repeat(3990); // with the index prefix, within the 4000-character limit
        try (RawWebSocket stalled = RawWebSocket.connect(base.resolve("chat?name=stalled&room=r"), "chat");
             ChatTestClient reader = ChatTestClient.join(base, "reader", "r", "chat");
             ChatTestClient sender = ChatTestClient.join(base, "sender", "r", "chat")) {
            for (int i = 0; i < messages; i++) {
                sender.say(i + text);
            }
            for (int i = 0; i < messages; i++) {
                assertTrue(reader.expect("message").getString("text").startsWith(i + "x"), "message " + i);
            }
            // 8 MB were sent to a socket nobody reads: its queue overflowed or its send stalled.
            assertEquals(4003, stalled.readUntilClose());
        }
    }
}
