package dev.duplex.endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.duplex.config.DuplexConfig;
import dev.duplex.service.Duplex;
import dev.duplex.service.DuplexLocator;
import dev.duplex.support.ChatTestClient;
import java.net.URI;
import java.util.Map;
import org.glassfish.tyrus.server.Server;
import org.junit.jupiter.api.Test;

/** docs/PROTOCOL.md "Close codes": shutting the application down closes every session with 1001. */
class ShutdownTest {

    @Test
    void everySessionGets1001WithAReason() throws Exception {
        DuplexLocator.install(new Duplex(DuplexConfig.of(Map.of())));
        Server server = new Server("127.0.0.1", -1, "/", Map.of(), ChatEndpoint.class);
        server.start();
        try {
            URI base = URI.create("ws://127.0.0.1:" + server.getPort() + "/");
            try (ChatTestClient chat = ChatTestClient.join(base, "alice", "one", "chat");
                 ChatTestClient superchat = ChatTestClient.join(base, "bob", "two", "superchat")) {
                DuplexLocator.shutdown();
                for (ChatTestClient client : new ChatTestClient[] {chat, superchat}) {
                    ChatTestClient.Closed closed = client.awaitClose();
                    assertEquals(1001, closed.code());
                    assertEquals("server shutting down", closed.reason());
                }
            }
        } finally {
            server.stop();
            DuplexLocator.shutdown();
        }
    }
}
