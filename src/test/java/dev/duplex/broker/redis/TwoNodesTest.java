package dev.duplex.broker.redis;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.duplex.app.Duplex;
import dev.duplex.config.DuplexConfig;
import dev.duplex.connection.Connection;
import dev.duplex.message.ClientFrame;
import dev.duplex.session.Admission;
import dev.duplex.session.Handshake;
import dev.duplex.support.RecordingTransport;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two whole nodes on one real redis-server, as docs/SCALING.md runs them: presence, room messages
 * and directs cross nodes, and "skip this connection" never skips a connection of the other node
 * (container session ids repeat across nodes; connection ids do not).
 */
class TwoNodesTest extends RealRedisTest {

    private final List<Duplex> nodes = new ArrayList<>();

    @AfterEach
    void stop() {
        nodes.forEach(Duplex::close);
    }

    private Duplex node() {
        Duplex node = new Duplex(DuplexConfig.of(Map.of("redis.url", redis.url(), "rate.burst", "0")));
        nodes.add(node);
        return node;
    }

    private static Connection open(Duplex node, String query, RecordingTransport transport) {
        Admission admission = node.sessions().open(new Handshake("superchat", query, null, null), transport);
        return assertInstanceOf(Admission.Accepted.class, admission, admission.toString()).connection();
    }

    private static boolean received(RecordingTransport transport, String... parts) {
        return transport.sent().stream().anyMatch(frame -> {
            for (String part : parts) {
                if (!frame.contains(part)) {
                    return false;
                }
            }
            return true;
        });
    }

    @Test
    void presenceMessagesAndDirectsCrossNodes() throws Exception {
        Duplex a = node();
        Duplex b = node();
        String room = "two-" + System.nanoTime() % 100000;
        RecordingTransport aliceOnA = new RecordingTransport(true);
        Connection alice = open(a, "name=alice&room=" + room, aliceOnA);
        RecordingTransport bobOnB = new RecordingTransport(true);
        Connection bob = open(b, "name=bob&room=" + room, bobOnB);
        await(() -> received(aliceOnA, "\"presence\"", "\"join\"", "\"bob\""), "alice on A hears bob join on B");
        assertTrue(received(bobOnB, "\"joined\"", "\"alice\""), bobOnB.sent().toString());

        RecordingTransport aliceOnB = new RecordingTransport(true);
        open(b, "name=alice&room=other", aliceOnB);
        b.sessions().receive(bob, new ClientFrame.SendMessage("hello from B", room, "b-1"));
        await(() -> received(aliceOnA, "\"message\"", "hello from B"), "bob's message on A");
        await(() -> received(bobOnB, "\"ack\"", "b-1"), "bob's ack");

        a.sessions().receive(alice, new ClientFrame.Direct("bob", "psst", "d-1"));
        await(() -> received(bobOnB, "\"direct\"", "psst"), "alice's direct on B");
        await(() -> received(aliceOnB, "\"direct\"", "psst"), "the copy for alice's session on B");
        await(() -> received(aliceOnA, "\"ack\"", "d-1"), "alice's ack");
    }
}
