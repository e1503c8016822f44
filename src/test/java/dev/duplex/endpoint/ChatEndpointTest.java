package dev.duplex.endpoint;

import dev.duplex.config.DuplexConfig;
import dev.duplex.service.Duplex;
import dev.duplex.service.DuplexLocator;
import dev.duplex.support.SuperchatContract;
import java.net.URI;
import java.util.Map;
import org.glassfish.tyrus.server.Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The WebSocket contract, chat and superchat, in-process on embedded Tyrus with an ephemeral port. */
class ChatEndpointTest extends SuperchatContract {

    private static Server server;

    @BeforeAll
    static void start() throws Exception {
        // The contract tests send bursts of hundreds of frames: rate limiting has its own test.
        DuplexLocator.install(new Duplex(DuplexConfig.of(Map.of("rate.burst", "0"))));
        server = new Server("127.0.0.1", -1, "/", Map.of(), ChatEndpoint.class);
        server.start();
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
