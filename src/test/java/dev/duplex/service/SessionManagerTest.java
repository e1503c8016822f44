package dev.duplex.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.duplex.config.DuplexConfig;
import dev.duplex.support.FakeSessions;
import jakarta.websocket.Session;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** docs/PROTOCOL.md "Identity": an authenticated user is who the container says. */
class SessionManagerTest {

    private final Duplex duplex = new Duplex(DuplexConfig.of(Map.of()));

    @AfterEach
    void close() {
        duplex.close();
    }

    @Test
    void theContainersPrincipalIsTheNameAndTheQueryNameIsIgnored() {
        List<String> sent = new CopyOnWriteArrayList<>();
        Session session = FakeSessions.open("s1", "chat", "name=mallory&room=ops", "carol", sent);
        duplex.sessions().open(session);
        assertEquals("{\"type\":\"welcome\",\"protocol\":\"chat\",\"name\":\"carol\",\"room\":\"ops\"}", sent.get(0));
        assertEquals(List.of("carol"), duplex.rooms().members("ops"));
    }

    @Test
    void anAuthenticatedUserNeedsNoNameParameter() {
        List<String> sent = new CopyOnWriteArrayList<>();
        duplex.sessions().open(FakeSessions.open("s1", "chat", null, "carol", sent));
        assertTrue(sent.get(0).contains("\"name\":\"carol\""), sent.get(0));
    }

    @Test
    void withoutAPrincipalTheQueryNameCounts() {
        List<String> sent = new CopyOnWriteArrayList<>();
        duplex.sessions().open(FakeSessions.open("s1", "chat", "name=dave", null, sent));
        assertTrue(sent.get(0).contains("\"name\":\"dave\""), sent.get(0));
    }

    // A failed write may report the close on a thread holding another room's lock (Payara); the
    // departure must not take room locks on that thread, or two such threads deadlock.
    @Test
    void aClosedSessionLeavesItsRoomsOffTheClosingThread() throws Exception {
        java.util.concurrent.ScheduledThreadPoolExecutor background = new java.util.concurrent.ScheduledThreadPoolExecutor(1);
        java.util.concurrent.CountDownLatch hold = new java.util.concurrent.CountDownLatch(1);
        Duplex deferred = new Duplex(DuplexConfig.of(Map.of()), java.time.Clock.systemUTC(), null, background);
        try {
            Session alice = FakeSessions.open("s1", "superchat", "name=alice&room=one", null, null);
            deferred.sessions().open(alice);
            deferred.sessions().receive(alice, new dev.duplex.message.ClientFrame.Join("two", null));
            background.execute(() -> {
                try {
                    hold.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            deferred.sessions().closed(alice);
            assertEquals(List.of("alice"), deferred.rooms().members("one"), "still queued behind the held task");
            assertEquals(List.of(), List.copyOf(deferred.connections().all()), "but no longer a connection");
            hold.countDown();
            background.submit(() -> { }).get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(List.of(), deferred.rooms().members("one"));
            assertEquals(List.of(), deferred.rooms().members("two"));
        } finally {
            hold.countDown();
            deferred.close();
            background.shutdownNow();
        }
    }

    @Test
    void theRemoteAddressCapClosesTheExtraSessionWith4009() {
        Duplex capped = new Duplex(DuplexConfig.of(Map.of("max.connections.per.address", "1")));
        try {
            Session first = FakeSessions.open("s1", "chat", "name=a", null, null);
            first.getUserProperties().put(SessionManager.REMOTE_ADDRESS, "10.0.0.9");
            capped.sessions().open(first);
            List<String> sent = new CopyOnWriteArrayList<>();
            Session second = FakeSessions.open("s2", "chat", "name=b", null, sent);
            second.getUserProperties().put(SessionManager.REMOTE_ADDRESS, "10.0.0.9");
            capped.sessions().open(second);
            assertEquals(List.of(), sent, "closed before any frame");
            jakarta.websocket.CloseReason reason =
                    (jakarta.websocket.CloseReason) second.getUserProperties().get(FakeSessions.CLOSED_WITH);
            assertEquals(4009, reason.getCloseCode().getCode());
            assertEquals(1, capped.connections().all().size());
            capped.sessions().closed(first);
            Session third = FakeSessions.open("s3", "chat", "name=c", null, null);
            third.getUserProperties().put(SessionManager.REMOTE_ADDRESS, "10.0.0.9");
            capped.sessions().open(third);
            assertEquals(1, capped.connections().all().size(), "the freed slot is reused");
        } finally {
            capped.close();
        }
    }
}
