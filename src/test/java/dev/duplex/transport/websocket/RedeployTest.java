package dev.duplex.transport.websocket;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.duplex.config.DuplexConfig;
import dev.duplex.app.Duplex;
import dev.duplex.app.DuplexLocator;
import dev.duplex.support.ChatTestClient;
import java.net.URI;
import java.util.Map;
import org.glassfish.tyrus.server.Server;
import org.junit.jupiter.api.Test;

/**
 * docs/PROTOCOL.md "Shutdown and redeploy": deploy, connect, undeploy (every session gets 1001),
 * redeploy, connect again — three times, with no thread, timer or session left behind.
 */
class RedeployTest {

    @Test
    void redeployingLeavesNothingBehind() throws Exception {
        long threadsBefore = duplexThreads();
        for (int round = 0; round < 3; round++) {
            Duplex duplex = new Duplex(DuplexConfig.of(Map.of("idle.timeout.seconds", "3")));
            DuplexLocator.install(duplex);
            Server server = new Server("127.0.0.1", -1, "/", Map.of(), ChatEndpoint.class);
            server.start();
            try {
                URI base = URI.create("ws://127.0.0.1:" + server.getPort() + "/");
                try (ChatTestClient alice = ChatTestClient.join(base, "alice", "lobby", "superchat");
                     ChatTestClient bob = ChatTestClient.join(base, "bob", "lobby", "chat")) {
                    assertEquals(1, duplexThreads() - threadsBefore, "one heartbeat thread while deployed");
                    DuplexLocator.shutdown(); // what undeploy does (DuplexLifecycle.contextDestroyed)
                    // Tomcat checks for leftover threads as soon as undeploy returns.
                    assertEquals(threadsBefore, duplexThreads(), "no Duplex thread outlives the undeploy");
                    assertEquals(new ChatTestClient.Closed(1001, "server shutting down"), alice.awaitClose());
                    assertEquals(1001, bob.awaitClose().code());
                }
                assertEquals(0, duplex.connections().all().size(), "no session left registered");
                assertEquals(0, duplex.sessions().unexpectedErrors());
            } finally {
                server.stop();
            }
            assertEquals(threadsBefore, duplexThreads(), "no Duplex thread after the server stopped");
        }
    }

    private static long duplexThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("duplex-") && t.isAlive()).count();
    }
}
