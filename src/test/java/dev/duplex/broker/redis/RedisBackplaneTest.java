package dev.duplex.broker.redis;

import dev.duplex.message.ServerFrame;
import dev.duplex.broker.Broker;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.duplex.broker.Backplane;
import dev.duplex.broker.BackplaneUnavailableException;
import dev.duplex.broker.MessageStore;
import dev.duplex.broker.StreamIds;
import dev.duplex.broker.Topic;
import dev.duplex.message.ServerFrame.ChatMessage;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The Redis backplane against a real redis-server: logs, ids, delivery across nodes, presence, outages. */
class RedisBackplaneTest extends RealRedisTest {

    private static int roomCounter;

    private Backplane node(int kept) {
        return backplane(kept, RedisBackplane.PRESENCE_TTL_MILLIS);
    }

    private static synchronized String room() {
        return "r" + (++roomCounter) + "-" + System.nanoTime() % 100000;
    }

    /** What a node delivered to its local sessions. */
    private static List<String> recorder(Backplane node) {
        List<String> frames = new CopyOnWriteArrayList<>();
        node.broker().subscribe((topic, frame) -> {
            frames.add(topic.scope() + " " + topic.key() + " " + topic.kind() + " " + frame.text());
            return Broker.Subscriber.NOTHING_TO_SEND;
        });
        return frames;
    }

    @Test
    void streamIdsBecomeFixedWidthIdsThatSortInStreamOrder() {
        assertEquals("17170000000000000003", StreamIds.toMessageId("1717000000000-3"));
        assertEquals("1717000000000-3", StreamIds.toStreamId("17170000000000000003"));
        assertTrue(StreamIds.toMessageId("1717000000000-9").compareTo(StreamIds.toMessageId("1717000000000-10")) < 0);
        assertTrue(StreamIds.toMessageId("999-0").compareTo(StreamIds.toMessageId("1000-0")) < 0);
        assertNull(StreamIds.toStreamId("1795341600123000"));
        assertEquals("5-1", StreamIds.next("5-0"));
        assertEquals("4-18446744073709551615", StreamIds.previous("5-0"));
        assertTrue(StreamIds.compare("4-18446744073709551615", "5-0") < 0);
    }

    @Test
    void appendedMessagesAreKeptBoundedAndReadBackInOrder() {
        Backplane node = node(5);
        String room = room();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            ChatMessage message = node.store().append(room, "alice", "m" + i, Instant.ofEpochMilli(1_000 + i));
            ids.add(message.id());
        }
        List<String> sorted = new ArrayList<>(ids);
        Collections.sort(sorted);
        assertEquals(ids, sorted, "ids increase in string order");
        List<ChatMessage> latest = node.store().latest(room, 50);
        assertEquals(List.of("m3", "m4", "m5", "m6", "m7"), latest.stream().map(ChatMessage::text).toList());
        assertEquals(Instant.ofEpochMilli(1_007), latest.get(4).ts());
        assertEquals("alice", latest.get(4).from());

        MessageStore.Replay recent = node.store().after(room, ids.get(5));
        assertEquals(List.of("m6", "m7"), recent.messages().stream().map(ChatMessage::text).toList());
        assertFalse(recent.gap());
        MessageStore.Replay old = node.store().after(room, ids.get(0));
        assertTrue(old.gap(), "m1 and m2 were trimmed");
        assertEquals(5, old.messages().size());
        assertEquals(List.of("m4", "m5"), node.store().before(room, ids.get(6), 2).stream().map(ChatMessage::text).toList());
        assertEquals(List.of("m6"), node.store().after(room, ids.get(5), ids.get(6)).messages().stream().map(ChatMessage::text).toList());
        assertEquals(List.of(), node.store().latest("empty-" + room, 50));
        assertFalse(node.store().after("empty-" + room, ids.get(0)).gap());
    }

    @Test
    void scriptsRunByDigestAndAgainAfterRedisForgotThem() {
        TestRedis connection = new TestRedis(redis.url());
        Backplane node = untickedBackplane(connection, 10);
        String room = room();
        node.store().append(room, "a", "one", Instant.now());
        connection.call(c -> c.scriptFlush()); // as a restarted Redis has forgotten them
        node.store().append(room, "a", "two", Instant.now());
        node.store().append(room, "a", "three", Instant.now());
        assertEquals(List.of("one", "two", "three"), node.store().latest(room, 10).stream().map(ChatMessage::text)
                .toList());
        assertTrue(connection.call(c -> c.info("commandstats")).contains("cmdstat_evalsha:calls="));
    }

    @Test
    void everyNodeFollowingARoomDeliversItsMessagesOnceAndInOrder() throws Exception {
        Backplane a = node(1000);
        Backplane b = node(1000);
        List<String> atA = recorder(a);
        List<String> atB = recorder(b);
        String room = room();
        a.follow(room, null, position -> assertNull(position));
        b.follow(room, null, position -> assertNull(position));
        List<String> posted = Collections.synchronizedList(new ArrayList<>());
        Thread fromA = new Thread(() -> { for (int i = 0; i < 200; i++) posted.add(a.store().append(room, "a", "a" + i, Instant.now()).id()); });
        Thread fromB = new Thread(() -> { for (int i = 0; i < 200; i++) posted.add(b.store().append(room, "b", "b" + i, Instant.now()).id()); });
        fromA.start();
        fromB.start();
        fromA.join();
        fromB.join();
        await(() -> atA.size() == 400 && atB.size() == 400, "400 deliveries on each node");
        assertEquals(atA, atB, "both nodes deliver the same sequence");
        List<String> sorted = new ArrayList<>(atA);
        Collections.sort(sorted);
        assertEquals(sorted, atA, "in id order");
        Thread.sleep(300);
        assertEquals(400, atA.size(), "no duplicates");
    }

    @Test
    void aJoinerReplaysUpToTheNodesPositionAndTheAckWaitsForDelivery() throws Exception {
        Backplane a = node(1000);
        Backplane b = node(1000);
        List<String> atB = recorder(b);
        String room = room();
        ChatMessage first = a.store().append(room, "a", "one", Instant.now());
        String[] position = new String[1];
        b.follow(room, null, p -> position[0] = p);
        assertEquals(first.id(), position[0]);
        ChatMessage second = a.store().append(room, "a", "two", Instant.now());
        CountDownLatch acked = new CountDownLatch(1);
        b.afterDelivered(room, second.id(), () -> {
            acked.countDown();
            return Broker.Subscriber.NOTHING_TO_SEND;
        });
        assertTrue(acked.await(5, TimeUnit.SECONDS));
        assertTrue(atB.get(atB.size() - 1).contains("\"two\""), "delivered before the ack runs");
        // A client that saw a message on another node catches this node up before its replay.
        b.unfollow(room);
        String[] again = new String[1];
        ChatMessage third = a.store().append(room, "a", "three", Instant.now());
        b.follow(room, third.id(), p -> again[0] = p);
        assertEquals(third.id(), again[0]);
    }

    @Test
    void aNodeThatFellBehindTheKeptHistoryReportsTheGapThenContinuesInOrder() throws Exception {
        Backplane a = node(5);
        String room = room();
        Lagging b = lagging(5, room);
        List<String> atB = b.seen();
        List<ChatMessage> posted = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            posted.add(a.store().append(room, "a", "m" + i, Instant.now()));
        }
        await(() -> atB.size() == 2, "m0 and m1 on node b");
        // b's subscription drops while 12 more are posted: 5 are kept.
        b.redis().cutBus();
        for (int i = 2; i < 14; i++) {
            posted.add(a.store().append(room, "a", "m" + i, Instant.now()));
        }
        b.node().afterDelivered(room, posted.get(4).id(), () -> {
            atB.add("ACK m4");
            return Broker.Subscriber.NOTHING_TO_SEND;
        });
        b.node().afterDelivered(room, posted.get(13).id(), () -> {
            atB.add("ACK m13");
            return Broker.Subscriber.NOTHING_TO_SEND;
        });
        b.redis().restoreBus();
        awaitCatchUp(b.node(), () -> atB.contains("ACK m13"), "node b to catch up");
        posted.add(a.store().append(room, "a", "m14", Instant.now()));
        await(() -> atB.contains("m14"), "live delivery after the gap");
        Thread.sleep(300);
        assertEquals(List.of("m0", "m1",
                "GAP " + room + " " + posted.get(1).id() + " " + posted.get(8).id(),
                "ACK m4", "m9", "m10", "m11", "m12", "m13", "ACK m13", "m14"), atB,
                "the gap once, then the oldest kept in order, each once");
    }

    @Test
    void aNodeThatNeverDeliveredARoomReportsAGapFromItsStart() throws Exception {
        Backplane a = node(3);
        String room = room();
        Lagging b = lagging(3, room);
        b.redis().cutBus();
        List<ChatMessage> posted = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            posted.add(a.store().append(room, "a", "m" + i, Instant.now()));
        }
        b.redis().restoreBus();
        awaitCatchUp(b.node(), () -> b.seen().size() == 4, "the gap and the 3 kept");
        Thread.sleep(300);
        assertEquals(List.of("GAP " + room + " null " + posted.get(1).id(), "m2", "m3", "m4"), b.seen());
    }

    /** A node following {@code room} whose bus the test cuts, with the texts and gaps it delivered. */
    private record Lagging(TestRedis redis, RedisBackplane node, List<String> seen) {
    }

    private Lagging lagging(int kept, String room) {
        TestRedis connection = new TestRedis(redis.url());
        RedisBackplane node = untickedBackplane(connection, kept);
        List<String> seen = new CopyOnWriteArrayList<>();
        node.broker().subscribe((topic, frame) -> {
            seen.add(text(frame.text()));
            return Broker.Subscriber.NOTHING_TO_SEND;
        });
        node.onGap((r, after, lastTrimmed) -> seen.add("GAP " + r + " " + after + " " + lastTrimmed));
        node.follow(room, null, p -> assertNull(p));
        return new Lagging(connection, node, seen);
    }

    @Test
    void presenceIsSharedAndAnnouncedOnceAcrossNodes() {
        Backplane a = node(10);
        Backplane b = node(10);
        String room = room();
        Backplane.Membership first = a.enter(room, "alice");
        assertTrue(first.changed());
        assertEquals(List.of("alice"), first.members());
        Backplane.Membership twoTabs = b.enter(room, "alice");
        assertFalse(twoTabs.changed(), "alice is already a member through node a");
        assertEquals(List.of("alice", "bob"), b.enter(room, "bob").members());
        assertEquals(List.of("alice", "bob"), a.members(room));
        assertFalse(a.exit(room, "alice").changed(), "still present on node b");
        assertTrue(b.exit(room, "alice").changed());
        assertEquals(List.of("bob"), a.members(room));

        assertFalse(a.reachable("carol"));
        b.online("carol");
        assertTrue(a.reachable("carol"));
        b.offline("carol");
        assertFalse(a.reachable("carol"));
    }

    @Test
    void framesForUsersAndEveryoneReachEveryNode() throws Exception {
        Backplane a = node(10);
        Backplane b = node(10);
        List<String> atB = recorder(b);
        a.broker().publish(Topic.user("bob").skipConnection("s1"), new ServerFrame.Left("r"));
        a.broker().publish(Topic.EVERYONE, new ServerFrame.Pong());
        await(() -> atB.size() == 2, "two frames on node b");
        assertEquals(List.of("USER bob DIRECT {\"type\":\"left\",\"room\":\"r\"}", "EVERYONE null NOTICE {\"type\":\"pong\"}"),
                atB);
    }

    @Test
    void aCrashedNodesMembersExpireAndAreAnnouncedOnce() throws Exception {
        // A node that stops refreshing (as if killed) loses its members after the presence TTL.
        Backplane a = backplane(10, 1500);
        Backplane b = backplane(10, 1500);
        String room = room();
        b.follow(room, null, p -> { });
        a.enter(room, "ghost");
        b.enter(room, "bob");
        List<String> expired = new CopyOnWriteArrayList<>();
        b.onExpired((r, name, members) -> expired.add(r + " " + name + " " + members));
        a.close(); // a stops refreshing; its entry is not removed (close does not exit)
        await(() -> !expired.isEmpty(), "ghost to expire");
        assertEquals(List.of(room + " ghost [bob]"), expired);
    }

    @Test
    void whenRedisIsDownCallsFailFastAndTheNodeRecoversByItself() throws Exception {
        Backplane a = node(100);
        List<String> atA = recorder(a);
        String room = room();
        a.follow(room, null, p -> { });
        a.store().append(room, "a", "before", Instant.now());
        await(() -> atA.size() == 1, "first delivery");
        redis.kill();
        await(() -> !a.healthy(), "the node to notice");
        assertThrows(BackplaneUnavailableException.class, () -> a.store().append(room, "a", "lost", Instant.now()));
        redis.restart();
        await(a::healthy, "the node to recover");
        // Redis came back empty (no persistence here): new entries still reach the follower.
        await(() -> {
            try {
                a.store().append(room, "a", "after", Instant.now());
                return true;
            } catch (BackplaneUnavailableException e) {
                return false;
            }
        }, "appends to work again");
        await(() -> atA.size() == 2, "delivery after the restart");
        assertTrue(atA.get(1).contains("\"after\""));
    }
}
