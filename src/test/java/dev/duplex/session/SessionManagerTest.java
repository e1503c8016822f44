package dev.duplex.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.duplex.app.Duplex;
import dev.duplex.config.DuplexConfig;
import dev.duplex.connection.Connection;
import dev.duplex.message.ClientFrame;
import dev.duplex.message.CloseCode;
import dev.duplex.support.ManualExecutor;
import dev.duplex.support.RecordingTransport;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** docs/PROTOCOL.md "Connecting", "Identity" and "Shutdown and redeploy", for any transport. */
class SessionManagerTest {

    private final ManualExecutor background = new ManualExecutor();
    private final Duplex duplex = new Duplex(DuplexConfig.of(Map.of()), Clock.systemUTC(), null, background);

    @AfterEach
    void close() {
        duplex.close();
    }

    private Connection open(String protocol, String query, String principal, String address, RecordingTransport transport) {
        Admission admission = duplex.sessions().open(new Handshake(protocol, query, principal, address), transport);
        return assertInstanceOf(Admission.Accepted.class, admission, admission.toString()).connection();
    }

    private CloseCode.Close refusal(String protocol, String query, String principal) {
        Admission admission = duplex.sessions().open(new Handshake(protocol, query, principal, null),
                new RecordingTransport(true));
        return assertInstanceOf(Admission.Refused.class, admission, admission.toString()).close();
    }

    @Test
    void theContainersPrincipalIsTheNameAndTheQueryNameIsIgnored() {
        RecordingTransport transport = new RecordingTransport(true);
        open("chat", "name=mallory&room=ops", "carol", null, transport);
        assertEquals("{\"type\":\"welcome\",\"protocol\":\"chat\",\"name\":\"carol\",\"room\":\"ops\"}",
                transport.sent().get(0));
        assertEquals(List.of("carol"), duplex.rooms().members("ops"));
    }

    @Test
    void anAuthenticatedUserNeedsNoNameParameter() {
        RecordingTransport transport = new RecordingTransport(true);
        open("chat", null, "carol", null, transport);
        assertTrue(transport.sent().get(0).contains("\"name\":\"carol\""), transport.sent().get(0));
    }

    @Test
    void withoutAPrincipalTheQueryNameCounts() {
        RecordingTransport transport = new RecordingTransport(true);
        open("chat", "name=dave", null, null, transport);
        assertTrue(transport.sent().get(0).contains("\"name\":\"dave\""), transport.sent().get(0));
    }

    // A principal's name travels in frames and over the cluster bus, whose fields end at newlines:
    // it passes the same rules as a name parameter.
    @Test
    void aPrincipalNameThatBreaksTheNameRulesIsRefusedWith4001() {
        assertEquals(CloseCode.INVALID_PARAMETERS, refusal("chat", null, "eve\nT\nEVERYONE").code());
        assertEquals(CloseCode.INVALID_PARAMETERS, refusal("chat", null, "x".repeat(33)).code());
        assertEquals(CloseCode.INVALID_PARAMETERS, refusal("chat", null, "  ").code());
    }

    @Test
    void connectionIdsAreMadeByTheServerAndUnique() {
        Connection a = open("chat", "name=a", null, null, new RecordingTransport(true));
        Connection b = open("chat", "name=b", null, null, new RecordingTransport(true));
        assertTrue(a.id().length() >= 32 && !a.id().equals(b.id()), a.id() + " " + b.id());
    }

    // A failed write may report the close on a thread that is broadcasting (Payara); the departure
    // must not take room locks on that thread.
    @Test
    void aClosedSessionLeavesItsRoomsOffTheClosingThread() {
        Connection alice = open("superchat", "name=alice&room=one", null, null, new RecordingTransport(true));
        duplex.sessions().receive(alice, new ClientFrame.Join("two", null));
        duplex.sessions().closed(alice);
        assertEquals(List.of("alice"), duplex.rooms().members("one"), "still queued for the background");
        assertEquals(List.of(), List.copyOf(duplex.connections().all()), "but no longer a connection");
        background.runAll();
        assertEquals(List.of(), duplex.rooms().members("one"));
        assertEquals(List.of(), duplex.rooms().members("two"));
    }

    @Test
    void theRemoteAddressCapRefusesTheExtraSessionWith4009() {
        Duplex capped = new Duplex(DuplexConfig.of(Map.of("max.connections.per.address", "1")), Clock.systemUTC(),
                null, background);
        try {
            SessionManager sessions = capped.sessions();
            Admission first = sessions.open(new Handshake("chat", "name=a", null, "10.0.0.9"), new RecordingTransport(true));
            RecordingTransport second = new RecordingTransport(true);
            Admission refused = sessions.open(new Handshake("chat", "name=b", null, "10.0.0.9"), second);
            assertEquals(CloseCode.TOO_MANY_CONNECTIONS, assertInstanceOf(Admission.Refused.class, refused).close().code());
            assertEquals(List.of(), second.sent(), "refused before any frame");
            assertEquals(1, capped.connections().size());
            sessions.closed(((Admission.Accepted) first).connection());
            Admission third = sessions.open(new Handshake("chat", "name=c", null, "10.0.0.9"), new RecordingTransport(true));
            assertInstanceOf(Admission.Accepted.class, third, "the freed slot is reused");
        } finally {
            capped.close();
        }
    }

    // Shutdown closes every session, then the transports report each close: each session is
    // forgotten once, so a slot still held is never given away twice.
    @Test
    void aSessionIsForgottenOnceHoweverItsCloseIsReported() {
        Duplex capped = new Duplex(DuplexConfig.of(Map.of("max.connections.per.address", "2")), Clock.systemUTC(),
                null, background);
        SessionManager sessions = capped.sessions();
        Connection a = ((Admission.Accepted) sessions.open(new Handshake("chat", "name=a", null, "10.0.0.9"),
                new RecordingTransport(true))).connection();
        sessions.open(new Handshake("chat", "name=b", null, "10.0.0.9"), new RecordingTransport(true));
        sessions.closed(a);
        sessions.closed(a);
        Admission c = sessions.open(new Handshake("chat", "name=c", null, "10.0.0.9"), new RecordingTransport(true));
        assertInstanceOf(Admission.Accepted.class, c, "a's slot was freed");
        Admission d = sessions.open(new Handshake("chat", "name=d", null, "10.0.0.9"), new RecordingTransport(true));
        assertInstanceOf(Admission.Refused.class, d, "b and c still hold both slots");
        capped.close();
    }

    // Shutdown must not tell every session that every other one left: O(n^2) presence frames.
    @Test
    void shutdownAnnouncesNoDepartureToSessionsThatAreClosingToo() {
        List<RecordingTransport> transports = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            RecordingTransport transport = new RecordingTransport(true);
            transports.add(transport);
            open("superchat", "name=user" + i + "&room=lobby", null, null, transport);
        }
        background.runAll();
        List<Integer> before = transports.stream().map(t -> t.sent().size()).toList();
        duplex.sessions().closeAll(CloseCode.GOING_AWAY.close());
        background.runAll();
        for (int i = 0; i < transports.size(); i++) {
            assertEquals(before.get(i), transports.get(i).sent().size(), "user" + i + " got frames while closing");
            assertEquals(CloseCode.GOING_AWAY, transports.get(i).closedWith().code());
        }
        Admission late = duplex.sessions().open(new Handshake("chat", "name=late", null, null), new RecordingTransport(true));
        assertEquals(CloseCode.GOING_AWAY, assertInstanceOf(Admission.Refused.class, late).close().code());
    }
}
