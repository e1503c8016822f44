package dev.duplex.connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.duplex.message.CloseCode;
import dev.duplex.message.FrameKind;
import dev.duplex.support.FakeClock;
import dev.duplex.support.ManualExecutor;
import dev.duplex.support.RecordingTransport;
import dev.duplex.support.TestConnections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** docs/PROTOCOL.md "Liveness" and "Slow consumers": one sweep that never writes or closes itself. */
class HeartbeatTest {

    private static final long TIMEOUT = TimeUnit.SECONDS.toNanos(30);
    private static final long SEND_TIMEOUT = TimeUnit.SECONDS.toNanos(10);

    private final FakeClock clock = new FakeClock();
    private final ManualExecutor background = new ManualExecutor();
    private final ConnectionRegistry registry = new ConnectionRegistry();
    private final Heartbeat heartbeat = new Heartbeat(registry, TIMEOUT, SEND_TIMEOUT, clock);

    @Test
    void leavesRecentlyHeardSessionsAlone() {
        RecordingTransport transport = connect(true);
        clock.advance(TIMEOUT / 3 - 1, TimeUnit.NANOSECONDS);
        heartbeat.run();
        background.runAll();
        assertEquals(List.of(), transport.sent());
        assertNull(transport.closedWith());
    }

    @Test
    void keepsASessionQuietForAThirdOfTheTimeoutAliveFromTheBackground() {
        RecordingTransport transport = connect(true);
        clock.advance(TIMEOUT / 3, TimeUnit.NANOSECONDS);
        heartbeat.run();
        assertEquals(List.of(), transport.sent(), "a ping is a blocking send: never on the sweeping thread");
        background.runAll();
        assertEquals(List.of(RecordingTransport.PING), transport.sent());
        assertNull(transport.closedWith());
    }

    @Test
    void closesASessionSilentForTheWholeTimeoutWith4008() {
        RecordingTransport transport = connect(true);
        clock.advance(TIMEOUT, TimeUnit.NANOSECONDS);
        heartbeat.run();
        assertNull(transport.closedWith(), "a close may wait for the peer: never on the sweeping thread");
        background.runAll();
        assertEquals(CloseCode.HEARTBEAT_TIMEOUT, transport.closedWith().code());
    }

    @Test
    void aStalledWriteIsClosedAsTooSlowAndAbortedWhenEvenTheCloseDoesNotGetThrough() {
        RecordingTransport transport = connect(false);
        Connection connection = registry.all().iterator().next();
        connection.send(OutboundFrame.of("never taken"));
        clock.advance(SEND_TIMEOUT + 1, TimeUnit.NANOSECONDS);
        connection.heard();
        heartbeat.run();
        assertTrue(connection.outbound().isClosing(), "judged too slow");
        background.runAll();
        assertNull(transport.closedWith(), "the close waits behind the stalled write");
        clock.advance(SEND_TIMEOUT, TimeUnit.NANOSECONDS);
        heartbeat.run();
        background.runAll();
        assertFalse(transport.aborted(), "not overdue yet");
        clock.advance(1, TimeUnit.MILLISECONDS);
        heartbeat.run();
        assertFalse(transport.aborted(), "aborted off the sweeping thread");
        background.runAll();
        assertTrue(transport.aborted());
    }

    @Test
    void anAnswerResetsTheClock() {
        RecordingTransport transport = connect(true);
        Connection connection = registry.all().iterator().next();
        clock.advance(TIMEOUT - 1, TimeUnit.NANOSECONDS);
        connection.heard();
        clock.advance(2, TimeUnit.NANOSECONDS);
        heartbeat.run();
        background.runAll();
        assertNull(transport.closedWith());
    }

    @Test
    void theSweepRunsAThirdOfTheIdleTimeoutApartOrHalfTheSendTimeoutWhenThatIsShorter() {
        assertEquals(SEND_TIMEOUT / 2, heartbeat.intervalNanos());
        assertEquals(TIMEOUT / 3, new Heartbeat(registry, TIMEOUT, TIMEOUT, clock).intervalNanos());
    }

    private RecordingTransport connect(boolean inline) {
        RecordingTransport transport = new RecordingTransport(inline);
        registry.add(TestConnections.connection("alice", TestConnections.protocol("chat", FrameKind.MESSAGE),
                transport, SEND_TIMEOUT, background, clock));
        return transport;
    }
}
