package dev.duplex.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.duplex.support.RecordingSink;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** docs/PROTOCOL.md "Liveness": ping the quiet, close the silent. */
class HeartbeatTest {

    private static final long TIMEOUT = TimeUnit.SECONDS.toNanos(30);

    private final ConnectionRegistry registry = new ConnectionRegistry();
    private final Heartbeat heartbeat = new Heartbeat(registry, TIMEOUT);

    @Test
    void leavesRecentlyHeardSessionsAlone() {
        RecordingSink sink = connect(0);
        heartbeat.sweep(TIMEOUT / 3 - 1);
        assertEquals(List.of(), sink.sent());
        assertNull(sink.closedWith());
    }

    @Test
    void pingsASessionQuietForAThirdOfTheTimeout() {
        RecordingSink sink = connect(0);
        heartbeat.sweep(TIMEOUT / 3);
        assertEquals(List.of(RecordingSink.PING), sink.sent());
        assertNull(sink.closedWith());
    }

    @Test
    void closesASessionSilentForTheWholeTimeoutWith4008() {
        RecordingSink sink = connect(0);
        heartbeat.sweep(TIMEOUT);
        assertEquals(4008, sink.closedWith().getCloseCode().getCode());
    }

    @Test
    void anAnswerResetsTheClock() {
        RecordingSink sink = new RecordingSink(true);
        ChatConnection connection = connection(sink);
        connection.heard(0);
        registry.add(connection);
        connection.heard(TIMEOUT - 1);
        heartbeat.sweep(TIMEOUT + 1);
        assertNull(sink.closedWith());
    }

    @Test
    void theSweepRunsAThirdOfTheTimeoutApart() {
        assertEquals(TIMEOUT / 3, heartbeat.intervalNanos());
    }

    private RecordingSink connect(long heardAt) {
        RecordingSink sink = new RecordingSink(true);
        ChatConnection connection = connection(sink);
        connection.heard(heardAt);
        registry.add(connection);
        return sink;
    }

    private static ChatConnection connection(RecordingSink sink) {
        return new ChatConnection("s1", "alice", "lobby", "chat", sink, 1 << 20, TIMEOUT, 1, 0, null);
    }
}
