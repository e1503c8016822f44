package dev.duplex.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.duplex.broker.InMemoryBackplane;
import dev.duplex.broker.InMemoryMessageStore;
import dev.duplex.broker.MessageIds;
import dev.duplex.connection.Connection;
import dev.duplex.connection.ConnectionRegistry;
import dev.duplex.connection.SubProtocol;
import dev.duplex.message.ServerFrame;
import dev.duplex.protocol.ChatProtocol;
import dev.duplex.protocol.SuperchatProtocol;
import dev.duplex.support.FakeClock;
import dev.duplex.support.RecordingTransport;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Rooms, presence, history, typing and directs, with sessions replaced by recording sinks. */
class RoomServiceTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-22T10:00:00.123456Z"), ZoneOffset.UTC);

    /** Connections' own clock: typing is throttled by it, and it moves only when a test says so. */
    private final FakeClock nanos = new FakeClock();
    private ConnectionRegistry registry;
    private RoomService rooms;
    private DirectService directs;
    private NoticeService notices;
    private SubProtocol chat;
    private SubProtocol superchat;

    @BeforeEach
    void wire() {
        registry = new ConnectionRegistry();
        MessageIds ids = new MessageIds(CLOCK);
        TextRules rules = new TextRules(10);
        InMemoryBackplane backplane = new InMemoryBackplane(new InMemoryMessageStore(ids, 5, 100));
        UserDirectory.connect(registry, backplane);
        rooms = new RoomService(backplane, CLOCK, rules, 3);
        backplane.broker().subscribe(new LocalDelivery(registry, rooms));
        directs = new DirectService(registry, backplane, ids, CLOCK, rules);
        notices = new NoticeService(backplane.broker(), ids, CLOCK, rules);
        chat = new ChatProtocol(rooms);
        superchat = new SuperchatProtocol(rooms, directs);
    }

    @Test
    void aMessageIsEncodedOnceAndReachesEveryMemberOfTheRoomOnly() {
        Session alice = chat("alice", "lobby");
        Session bob = chat("bob", "lobby");
        Session carol = chat("carol", "elsewhere");
        rooms.post(alice.connection, "lobby", "hi");
        String expected = "{\"type\":\"message\",\"id\":\"1795341600123000\",\"room\":\"lobby\",\"from\":\"alice\","
                + "\"text\":\"hi\",\"ts\":\"2026-11-22T10:00:00.123Z\"}";
        assertEquals(List.of(expected), alice.sink.sent());
        assertEquals(List.of(expected), bob.sink.sent());
        assertTrue(alice.sink.sent().get(0) == bob.sink.sent().get(0), "the same encoded text, not a copy per member");
        assertEquals(List.of(), carol.sink.sent());
    }

    @Test
    void presenceReachesOnlySessionsThatTakeIt() {
        Session alice = chat("alice", "lobby");
        Session bob = chat("bob", "lobby");
        rooms.leaveAll(bob.connection);
        Session carol = superchat("carol", "lobby");
        Session dave = chat("dave", "lobby");
        rooms.leaveAll(alice.connection);
        assertEquals(List.of("joined", "presence", "presence"),
                carol.frames().stream().map(f -> f.getString("type")).toList(), "carol hears dave join and alice leave");
        assertTrue(alice.sink.sent().stream().noneMatch(f -> f.contains("presence")), "chat sessions never do");
        assertTrue(dave.sink.sent().stream().noneMatch(f -> f.contains("presence")));
    }

    @Test
    void refusedTextsAreAnsweredToTheSenderAloneWithTheirRef() {
        Session alice = superchat("alice", "lobby");
        Session bob = chat("bob", "lobby");
        alice.drain();
        rooms.postAcknowledged(alice.connection, "lobby", "   ", "c-1");
        rooms.postAcknowledged(alice.connection, "lobby", "01234567890", "c-2");
        rooms.postAcknowledged(alice.connection, "not-mine", "hi", "c-3");
        List<JsonObject> frames = alice.frames();
        assertEquals("blank-text", frames.get(0).getString("code"));
        assertEquals("c-1", frames.get(0).getString("ref"));
        assertEquals("too-long", frames.get(1).getString("code"));
        assertEquals("not-joined", frames.get(2).getString("code"));
        assertEquals("c-3", frames.get(2).getString("ref"));
        assertEquals(List.of(), bob.sink.sent());
    }

    @Test
    void superchatJoinGetsMembersThenHistoryAndOthersGetPresence() {
        Session alice = chat("alice", "lobby");
        rooms.post(alice.connection, "lobby", "one");
        rooms.post(alice.connection, "lobby", "two");
        Session watcher = superchat("watcher", "lobby");
        List<JsonObject> frames = watcher.frames();
        assertEquals("joined", frames.get(0).getString("type"));
        assertEquals(List.of("alice", "watcher"), strings(frames.get(0), "members"));
        assertEquals(List.of("one", "two"), List.of(frames.get(1).getString("text"), frames.get(2).getString("text")));
        assertEquals(3, frames.size());

        Session bob = superchat("bob", "lobby");
        JsonObject presence = watcher.frames().get(0);
        assertEquals("presence", presence.getString("type"));
        assertEquals("join", presence.getString("event"));
        assertEquals("bob", presence.getString("name"));
        assertEquals(List.of("alice", "bob", "watcher"), strings(presence, "members"));
        assertTrue(alice.sink.sent().stream().noneMatch(f -> f.contains("presence")), "chat clients see no presence");
        assertTrue(bob.frames().stream().noneMatch(f -> f.getString("type").equals("presence")),
                "the joiner learns the members from joined");
    }

    @Test
    void aNameWithTwoSessionsIsOneMemberUntilItsLastSessionLeaves() {
        Session watcher = superchat("watcher", "lobby");
        Session tab1 = superchat("bob", "lobby");
        watcher.drain();
        Session tab2 = superchat("bob", "lobby");
        assertEquals(List.of(), watcher.frames(), "the second tab is no news");
        assertEquals(List.of("bob", "watcher"), strings(tab2.frames().get(0), "members"));
        rooms.leaveAll(tab1.connection);
        assertEquals(List.of(), watcher.frames(), "bob is still here in tab 2");
        rooms.leaveAll(tab2.connection);
        JsonObject leave = watcher.frames().get(0);
        assertEquals("leave", leave.getString("event"));
        assertEquals(List.of("watcher"), strings(leave, "members"));
    }

    @Test
    void joinAndLeaveOtherRooms() {
        Session alice = superchat("alice", "lobby");
        alice.drain();
        rooms.join(alice.connection, "dev", null);
        assertEquals("joined", alice.frames().get(0).getString("type"));
        rooms.join(alice.connection, "dev", null);
        assertEquals("already-joined", alice.frames().get(0).getString("code"));
        rooms.join(alice.connection, "Bad Room", null);
        assertEquals("invalid-room", alice.frames().get(0).getString("code"));
        rooms.join(alice.connection, "ops", null);
        alice.drain();
        rooms.join(alice.connection, "more", null);
        assertEquals("too-many-rooms", alice.frames().get(0).getString("code"));
        rooms.leave(alice.connection, "dev");
        assertEquals("left", alice.frames().get(0).getString("type"));
        rooms.leave(alice.connection, "dev");
        assertEquals("not-joined", alice.frames().get(0).getString("code"));
        assertEquals(List.of(), rooms.members("dev"), "an empty room is gone");
    }

    @Test
    void resumeSinceReplaysExactlyWhatCameAfter() {
        Session alice = chat("alice", "lobby");
        String first = rooms.post(alice.connection, "lobby", "one").orElseThrow().id();
        rooms.post(alice.connection, "lobby", "two");
        rooms.post(alice.connection, "lobby", "three");
        Session bob = superchat("bob", "other");
        bob.drain();
        rooms.join(bob.connection, "lobby", first);
        List<JsonObject> frames = bob.frames();
        assertEquals(List.of("joined", "message", "message"), frames.stream().map(f -> f.getString("type")).toList());
        assertEquals("two", frames.get(1).getString("text"));
    }

    @Test
    void resumeFromTooLongAgoSaysSoAndSendsWhatIsKept() {
        Session alice = chat("alice", "lobby");
        String first = rooms.post(alice.connection, "lobby", "m0").orElseThrow().id();
        for (int i = 1; i < 8; i++) {
            rooms.post(alice.connection, "lobby", "m" + i);
        }
        Session bob = superchat("bob", "other");
        bob.drain();
        rooms.join(bob.connection, "lobby", first);
        List<JsonObject> frames = bob.frames();
        assertEquals("joined", frames.get(0).getString("type"));
        assertEquals("history-gap", frames.get(1).getString("code"));
        assertEquals("lobby", frames.get(1).getString("room"));
        assertEquals(5, frames.size() - 2, "the 5 kept messages follow");
        assertEquals("m3", frames.get(2).getString("text"));
    }

    @Test
    void historyPagesAreOldestFirstAndBounded() {
        Session alice = superchat("alice", "lobby");
        List<String> ids = new java.util.ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(rooms.post(alice.connection, "lobby", "m" + i).orElseThrow().id());
        }
        alice.drain();
        rooms.history(alice.connection, "lobby", ids.get(3), 2);
        JsonObject page = alice.frames().get(0);
        assertEquals("history", page.getString("type"));
        assertEquals(List.of("m1", "m2"), page.getJsonArray("messages").getValuesAs(JsonObject.class)
                .stream().map(m -> m.getString("text")).toList());
        assertEquals("message", page.getJsonArray("messages").getJsonObject(0).getString("type"));
        rooms.history(alice.connection, "lobby", null, 0);
        assertEquals("bad-frame", alice.frames().get(0).getString("code"));
        rooms.history(alice.connection, "nowhere", null, null);
        assertEquals("not-joined", alice.frames().get(0).getString("code"));
    }

    @Test
    void typingGoesToTheOtherSuperchatMembersAndIsThrottled() {
        Session alice = superchat("alice", "lobby");
        Session aliceTab2 = superchat("alice", "lobby");
        Session bob = superchat("bob", "lobby");
        Session carol = chat("carol", "lobby");
        alice.drain();
        aliceTab2.drain();
        bob.drain();
        rooms.typing(alice.connection, "lobby");
        rooms.typing(alice.connection, "lobby");
        List<JsonObject> frames = bob.frames();
        assertEquals(1, frames.size(), "the second within a third of a second is dropped");
        assertEquals("alice", frames.get(0).getString("from"));
        assertEquals(List.of(), aliceTab2.frames());
        assertEquals(List.of(), carol.sink.sent());
    }

    @Test
    void directsReachEveryRecipientSessionAndTheSendersOtherSessions() {
        Session alice = superchat("alice", "lobby");
        Session aliceTab2 = superchat("alice", "dev");
        Session bob1 = superchat("bob", "x");
        Session bob2 = superchat("bob", "y");
        Session bobChat = chat("bob", "z");
        Session carol = superchat("carol", "lobby");
        for (Session s : List.of(alice, aliceTab2, bob1, bob2, carol)) {
            s.drain();
        }
        directs.send(alice.connection, "bob", "psst", "c-9");
        JsonObject ack = alice.frames().get(0);
        assertEquals("ack", ack.getString("type"));
        assertEquals("c-9", ack.getString("ref"));
        for (Session s : List.of(aliceTab2, bob1, bob2)) {
            JsonObject direct = s.frames().get(0);
            assertEquals("direct", direct.getString("type"));
            assertEquals(ack.getString("id"), direct.getString("id"));
            assertEquals("alice", direct.getString("from"));
            assertEquals("bob", direct.getString("to"));
        }
        assertEquals(List.of(), carol.frames());
        assertEquals(List.of(), bobChat.sink.sent());
        directs.send(alice.connection, "nobody", "psst", "c-10");
        JsonObject error = alice.frames().get(0);
        assertEquals("no-such-user", error.getString("code"));
        assertEquals("c-10", error.getString("ref"));
    }

    @Test
    void noticesReachEveryRoom() {
        Session alice = chat("alice", "lobby");
        Session carol = chat("carol", "elsewhere");
        String id = notices.publish("restart").id();
        assertEquals(alice.sink.sent(), carol.sink.sent());
        assertTrue(alice.sink.sent().get(0).startsWith("{\"type\":\"notice\",\"id\":\"" + id + "\""));
    }

    @Test
    void aJoiningSessionGetsItsWelcomeFirstAndMissesNothingPostedWhileJoining() {
        Session alice = chat("alice", "lobby");
        RecordingTransport bobSink = new RecordingTransport(true);
        Connection bob = new Connection("bob", "lobby", chat, bobSink, LIMITS, null, Runnable::run, nanos);
        bob.enqueue(new ServerFrame.Welcome("chat", "bob", "lobby"));
        registry.add(bob);
        notices.publish("n1");
        assertEquals(List.of(), bobSink.sent(), "the welcome must not leave before bob is in the room");
        assertTrue(rooms.joinOnOpen(bob, "lobby", null));
        rooms.post(alice.connection, "lobby", "m2");
        assertEquals(List.of(), bobSink.sent());
        bob.activate();
        List<String> sent = bobSink.sent();
        assertEquals(3, sent.size(), sent.toString());
        assertTrue(sent.get(0).startsWith("{\"type\":\"welcome\""), sent.get(0));
        assertTrue(sent.get(1).contains("\"n1\""), sent.get(1));
        assertTrue(sent.get(2).contains("\"m2\""), sent.get(2));
    }

    private static final Connection.Limits LIMITS = new Connection.Limits(1 << 20, Long.MAX_VALUE / 2, 1, 0);

    private Session chat(String name, String room) {
        return open(name, room, chat);
    }

    private Session superchat(String name, String room) {
        return open(name, room, superchat);
    }

    private Session open(String name, String room, SubProtocol protocol) {
        RecordingTransport sink = new RecordingTransport(true);
        Connection connection = new Connection(name, room, protocol, sink, LIMITS, null, Runnable::run, nanos);
        connection.activate();
        registry.add(connection);
        rooms.join(connection, room, null);
        return new Session(connection, sink);
    }

    private static List<String> strings(JsonObject frame, String field) {
        return frame.getJsonArray(field).getValuesAs(jakarta.json.JsonString.class).stream()
                .map(jakarta.json.JsonString::getString).toList();
    }

    /** A connection and what was sent to it; {@link #frames()} returns only frames not yet taken. */
    private static final class Session {
        final Connection connection;
        final RecordingTransport sink;
        int taken;

        Session(Connection connection, RecordingTransport sink) {
            this.connection = connection;
            this.sink = sink;
        }

        List<JsonObject> frames() {
            List<String> sent = sink.sent();
            List<JsonObject> fresh = sent.subList(taken, sent.size()).stream().map(Session::parse).toList();
            taken = sent.size();
            return fresh;
        }

        void drain() {
            frames();
        }

        private static JsonObject parse(String text) {
            try (var reader = Json.createReader(new StringReader(text))) {
                return reader.readObject();
            }
        }
    }
}
