package dev.duplex.transport.websocket;

import dev.duplex.config.DuplexConfig;
import dev.duplex.app.Duplex;
import dev.duplex.app.DuplexLocator;
import dev.duplex.support.SuperchatContract;
import java.net.URI;
import java.util.Map;
import org.glassfish.tyrus.server.Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/** The WebSocket contract, chat and superchat, in-process on embedded Tyrus with an ephemeral port. */
class ChatEndpointTest extends SuperchatContract {

    private static Server server;
    private static Duplex duplex;

    @BeforeAll
    static void start() throws Exception {
        // The contract tests send bursts of hundreds of frames: rate limiting has its own test.
        duplex = new Duplex(DuplexConfig.of(Map.of("rate.burst", "0")));
        DuplexLocator.install(duplex);
        server = new Server("127.0.0.1", -1, "/", Map.of(), ChatEndpoint.class);
        server.start();
    }

    // Whatever a test threw at the server, nothing may surface as an unexpected error.
    @AfterEach
    void noUnexpectedServerErrors() {
        org.junit.jupiter.api.Assertions.assertEquals(0, duplex.sessions().unexpectedErrors());
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop();
        }
        DuplexLocator.shutdown();
    }

    @Override
    protected URI wsBase() {
        return URI.create("ws://127.0.0.1:" + server.getPort() + "/");
    }
}
