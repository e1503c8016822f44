package dev.duplex.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.duplex.broker.InMemoryBroker;
import dev.duplex.support.RecordingSink;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Room fan-out and notices through the broker, with sessions replaced by recording sinks. */
class ChatServiceTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-22T10:00:00.123456Z"), ZoneOffset.UTC);

    private InMemoryBroker broker;
    private ConnectionRegistry registry;
    private ChatService chat;
    private NoticeService notices;

    @BeforeEach
    void wire() {
        broker = new InMemoryBroker();
        registry = new ConnectionRegistry();
        broker.subscribe(registry);
        MessageIds ids = new MessageIds(CLOCK);
        chat = new ChatService(broker, ids, CLOCK, new TextRules(10));
        notices = new NoticeService(broker, ids, CLOCK, new TextRules(10));
    }

    @Test
    void aMessageIsEncodedOnceAndReachesEveryMemberOfTheRoomOnly() {
        RecordingSink alice = member("alice", "lobby");
        RecordingSink bob = member("bob", "lobby");
        RecordingSink carol = member("carol", "elsewhere");
        chat.post(connection("alice", "lobby", alice), "hi");
        String expected = "{\"type\":\"message\",\"id\":\"1795341600123000\",\"room\":\"lobby\",\"from\":\"alice\","
                + "\"text\":\"hi\",\"ts\":\"2026-11-22T10:00:00.123Z\"}";
        assertEquals(List.of(expected), alice.sent());
        assertEquals(List.of(expected), bob.sent());
        assertTrue(alice.sent().get(0) == bob.sent().get(0), "the same encoded text, not a copy per member");
        assertEquals(List.of(), carol.sent());
    }

    @Test
    void refusedTextsAreAnsweredToTheSenderAlone() {
        RecordingSink alice = member("alice", "lobby");
        RecordingSink bob = member("bob", "lobby");
        ChatConnection sender = connection("alice", "lobby", alice);
        chat.post(sender, "   ");
        chat.post(sender, "01234567890");
        assertEquals(2, alice.sent().size());
        assertTrue(alice.sent().get(0).contains("\"code\":\"blank-text\""));
        assertTrue(alice.sent().get(1).contains("\"code\":\"too-long\""));
        assertEquals(List.of(), bob.sent());
    }

    @Test
    void noticesReachEveryRoom() {
        RecordingSink alice = member("alice", "lobby");
        RecordingSink carol = member("carol", "elsewhere");
        String id = notices.publish("restart").id();
        assertEquals(alice.sent(), carol.sent());
        assertTrue(alice.sent().get(0).startsWith("{\"type\":\"notice\",\"id\":\"" + id + "\""));
    }

    @Test
    void aClosedConnectionGetsNothingMore() {
        RecordingSink alice = member("alice", "lobby");
        RecordingSink bob = new RecordingSink(true);
        ChatConnection bobConnection = connection("bob", "lobby", bob);
        registry.add(bobConnection);
        registry.remove(bobConnection);
        chat.post(connection("alice", "lobby", alice), "hi");
        assertEquals(List.of(), bob.sent());
        assertEquals(List.of(), List.copyOf(registry.inRoom("nobody-here")));
    }

    @Test
    void aJoiningSessionGetsItsWelcomeFirstAndMissesNothingPostedWhileJoining() {
        RecordingSink alice = member("alice", "lobby");
        RecordingSink bobSink = new RecordingSink(true);
        ChatConnection bob = connection("bob", "lobby", bobSink);
        bob.queueFirst(new dev.duplex.message.ServerFrame.Welcome("chat", "bob", "lobby"));
        assertEquals(List.of(), bobSink.sent(), "the welcome must not leave before bob is in the room");
        registry.add(bob);
        chat.post(connection("alice", "lobby", alice), "meanwhile");
        bob.startSending();
        List<String> sent = bobSink.sent();
        assertEquals(2, sent.size(), sent.toString());
        assertTrue(sent.get(0).startsWith("{\"type\":\"welcome\""), sent.get(0));
        assertTrue(sent.get(1).contains("meanwhile"), sent.get(1));
    }

    private RecordingSink member(String name, String room) {
        RecordingSink sink = new RecordingSink(true);
        registry.add(connection(name, room, sink));
        return sink;
    }

    private static ChatConnection connection(String name, String room, RecordingSink sink) {
        return new ChatConnection(name + "-session", name, room, "chat", sink, 100, 100_000);
    }
}
