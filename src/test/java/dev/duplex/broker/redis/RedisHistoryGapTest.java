package dev.duplex.broker.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.duplex.connection.Connection;
import dev.duplex.connection.ConnectionRegistry;
import dev.duplex.connection.SubProtocol;
import dev.duplex.message.FrameKind;
import dev.duplex.service.LocalDelivery;
import dev.duplex.service.RoomService;
import dev.duplex.service.TextRules;
import dev.duplex.support.RecordingTransport;
import dev.duplex.support.TestConnections;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Two clustered nodes on a real redis-server: a node whose subscription was down while its room's
 * stream was trimmed past its position tells its sessions what docs/PROTOCOL.md promises for a
 * resume gap, then carries on with the oldest kept message, in order and exactly once.
 */
class RedisHistoryGapTest extends RealRedisTest {

    private static final int KEPT = 5;

    /** A clustered node: its backplane, room service and local delivery, as Duplex wires them. */
    private final class Node {
        final TestRedis connection = new TestRedis(redis.url());
        final RedisBackplane backplane = untickedBackplane(connection, KEPT);
        final ConnectionRegistry registry = new ConnectionRegistry();
        final RoomService rooms = new RoomService(backplane, Clock.systemUTC(), new TextRules(100), 5);

        Node() {
            backplane.broker().subscribe(new LocalDelivery(registry, rooms));
        }

        RecordingTransport open(String name, String room, String protocol) {
            RecordingTransport sink = new RecordingTransport(true);
            SubProtocol kinds = protocol.equals("chat")
                    ? TestConnections.protocol(protocol, FrameKind.MESSAGE, FrameKind.NOTICE)
                    : TestConnections.protocol(protocol, FrameKind.values());
            Connection connection = TestConnections.connection(name, kinds, sink, Long.MAX_VALUE / 2, Runnable::run,
                    System::nanoTime);
            registry.add(connection);
            rooms.join(connection, room, null);
            return sink;
        }

        Connection session(String name) {
            return registry.all().stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
        }
    }

    @Test
    void superchatSessionsOfALaggingNodeGetHistoryGapThenTheKeptMessagesInOrder() throws Exception {
        String room = "gap-" + System.nanoTime() % 100000;
        Node a = new Node();
        Node b = new Node();
        RecordingTransport poster = a.open("poster", room, "superchat");
        RecordingTransport watcher = b.open("watcher", room, "superchat");
        RecordingTransport plain = b.open("plain", room, "chat");
        Connection posting = a.session("poster");
        Connection watching = b.session("watcher");
        for (int i = 0; i < 2; i++) {
            a.rooms.postAcknowledged(posting, room, "m" + i, "p" + i);
        }
        await(() -> messages(watcher).size() == 2 && messages(plain).size() == 2, "m0 and m1 on node b");
        int watcherSeen = watcher.sent().size();
        int plainSeen = plain.sent().size();

        // Node b's subscription drops while 12 more messages are posted; the room keeps 5.
        b.connection.cutBus();
        b.rooms.postAcknowledged(watching, room, "w2", "w-ref"); // trimmed before b delivers it
        for (int i = 3; i < 14; i++) {
            a.rooms.postAcknowledged(posting, room, "m" + i, "p" + i);
        }
        b.connection.restoreBus(); // as after a reconnect: catches the room up
        await(() -> messages(watcher).size() == 7, "the kept messages on node b");
        a.rooms.postAcknowledged(posting, room, "m14", "p14");
        await(() -> messages(watcher).size() == 8 && messages(plain).size() == 8, "live delivery after the gap");
        Thread.sleep(500);

        List<JsonObject> after = parse(watcher.sent().subList(watcherSeen, watcher.sent().size()));
        JsonObject gap = after.get(0);
        assertEquals("error", gap.getString("type"));
        assertEquals("history-gap", gap.getString("code"));
        assertEquals(room, gap.getString("room"));
        assertTrue(!gap.getString("message").isBlank());
        assertEquals(List.of("type", "code", "message", "room"), List.copyOf(gap.keySet()),
                "the resume gap frame: no ref, no retryAfterMs");
        assertEquals("ack", after.get(1).getString("type"), "its own trimmed message is acked after the gap");
        assertEquals("w-ref", after.get(1).getString("ref"));
        List<String> rest = after.subList(2, after.size()).stream().map(f -> f.getString("type") + " "
                + f.getString("text")).toList();
        assertEquals(List.of("message m9", "message m10", "message m11", "message m12", "message m13",
                "message m14"), rest, "then the oldest kept, in order, each once, then live");
        assertIncreasingIds(messages(watcher));

        List<JsonObject> plainAfter = parse(plain.sent().subList(plainSeen, plain.sent().size()));
        assertEquals(List.of("m9", "m10", "m11", "m12", "m13", "m14"),
                plainAfter.stream().map(f -> f.getString("type") + ":" + f.getString("text"))
                        .map(s -> s.startsWith("message:") ? s.substring(8) : s).toList(),
                "chat sessions: nothing new on the wire, the kept messages in order");
        assertIncreasingIds(messages(plain));

        // The sender on node a saw everything and was told nothing of node b's gap.
        assertTrue(parse(poster.sent()).stream().noneMatch(f -> "error".equals(f.getString("type"))));
    }

    private static List<JsonObject> messages(RecordingTransport sink) {
        return parse(sink.sent()).stream().filter(f -> "message".equals(f.getString("type"))).toList();
    }

    private static void assertIncreasingIds(List<JsonObject> messages) {
        for (int i = 1; i < messages.size(); i++) {
            assertTrue(messages.get(i - 1).getString("id").compareTo(messages.get(i).getString("id")) < 0,
                    "ids increase: " + messages);
        }
    }

    private static List<JsonObject> parse(List<String> frames) {
        return frames.stream().map(f -> Json.createReader(new StringReader(f)).readObject()).toList();
    }
}
