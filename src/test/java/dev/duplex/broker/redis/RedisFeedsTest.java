package dev.duplex.broker.redis;

import dev.duplex.broker.Broker;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.duplex.broker.Backplane;
import dev.duplex.message.ServerFrame.ChatMessage;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A join that waits for Redis must not hold up the node's one delivery thread: the joining thread
 * is stopped at its Redis read while messages of other rooms, and of its own, arrive. Delivery
 * stays exactly once and in order.
 */
class RedisFeedsTest extends RealRedisTest {

    private static int rooms;

    private final TestRedis connection = new TestRedis(redis.url());
    private final RedisBackplane node = untickedBackplane(connection, 100);
    private final Backplane poster = untickedBackplane(new TestRedis(redis.url()), 100);
    /** "room text" of every message the node delivered. */
    private final List<String> delivered = new CopyOnWriteArrayList<>();
    private final AtomicReference<String> position = new AtomicReference<>("unset");
    /** Where in {@link #delivered} the joining session's live messages start. */
    private final AtomicInteger liveFrom = new AtomicInteger(-1);
    private final String busy = room();
    private final String joined = room();

    RedisFeedsTest() {
        node.broker().subscribe((topic, frame) -> {
            delivered.add(topic.key() + " " + text(frame.text()));
            return Broker.Subscriber.NOTHING_TO_SEND;
        });
        node.follow(busy, null, p -> { });
    }

    private static synchronized String room() {
        return "feeds" + (++rooms) + "-" + System.nanoTime() % 100000;
    }

    private ChatMessage post(String room, String text) {
        return poster.store().append(room, "poster", text, Instant.now());
    }

    /** Follows the joined room as a joining session would: replay up to the position, live after it. */
    private Thread joining(String since) {
        return new Thread(() -> node.follow(joined, since, p -> {
            position.set(p);
            liveFrom.set(delivered.size());
        }), "joining");
    }

    /** Posts to the busy room and waits until the node delivered it, or its delivery thread waits for the joiner. */
    private void assertDeliveryGoesOn(Thread joiner, String text) throws InterruptedException {
        post(busy, text);
        await(() -> delivered.contains(busy + " " + text) || anyoneBlockedBy(joiner), "delivery or a stall");
        assertTrue(delivered.contains(busy + " " + text), "delivery stalled while a join waited for Redis");
    }

    @Test
    void aJoinReadingItsPositionDoesNotStallDelivery() throws Exception {
        post(joined, "before");
        Thread joiner = joining(null);
        TestRedis.Stop beforeRead = connection.stopBefore(joiner, Keys.log(joined));
        joiner.start();
        beforeRead.awaitReached();
        ChatMessage during = post(joined, "during");
        assertDeliveryGoesOn(joiner, "live");
        beforeRead.release();
        joiner.join();
        assertEquals(during.id(), position.get(), "the joiner read its position after 'during': it replays it");
        post(joined, "after");
        await(() -> delivered.contains(joined + " after"), "live delivery after the join");
        assertEquals(List.of(busy + " live", joined + " after"), delivered, "'during' is not delivered live");
    }

    @Test
    void aMessageThatArrivesWhileAJoinReadsItsPositionIsDeliveredOnce() throws Exception {
        ChatMessage before = post(joined, "before");
        Thread joiner = joining(null);
        TestRedis.Stop afterRead = connection.stopAfter(joiner, Keys.log(joined));
        joiner.start();
        afterRead.awaitReached(); // it read 'before' as its position and has not applied it yet
        ChatMessage during = post(joined, "during");
        assertDeliveryGoesOn(joiner, "marker"); // so the delivery thread has seen 'during' too
        afterRead.release();
        joiner.join();
        await(() -> delivered.contains(joined + " during"), "'during' caught up from the log");
        post(joined, "after");
        await(() -> delivered.contains(joined + " after"), "live delivery after the join");
        assertEquals(List.of(busy + " marker", joined + " during", joined + " after"), delivered);
        // The catch-up may run before or after the joiner takes its position: either way it gets 'during' once.
        boolean replayed = position.get().compareTo(during.id()) >= 0;
        boolean live = delivered.subList(liveFrom.get(), delivered.size()).contains(joined + " during");
        assertTrue(replayed != live, "'during' replayed or live, not both nor neither: " + position.get() + " "
                + delivered.subList(liveFrom.get(), delivered.size()));
        assertTrue(position.get().compareTo(before.id()) >= 0);
    }

    @Test
    void aJoinCatchingUpToItsSinceDoesNotStallDeliveryNorDeliverTwice() throws Exception {
        node.follow(joined, null, p -> { });
        post(joined, "m0");
        await(() -> delivered.contains(joined + " m0"), "m0");
        connection.cutBus(); // the node falls behind the room
        post(joined, "m1");
        ChatMessage seenElsewhere = post(joined, "m2");
        Thread joiner = joining(seenElsewhere.id());
        TestRedis.Stop beforeCatchUp = connection.stopBefore(joiner, Keys.log(joined));
        joiner.start();
        beforeCatchUp.awaitReached();
        connection.restoreBus(); // the delivery thread catches the room up meanwhile...
        ChatMessage m3 = post(joined, "m3"); // ...and delivers m3 live
        assertDeliveryGoesOn(joiner, "marker");
        beforeCatchUp.release(); // the joiner now reads m1..m3, all delivered already
        joiner.join();
        assertEquals(m3.id(), position.get());
        assertEquals(List.of(joined + " m0", joined + " m1", joined + " m2", joined + " m3"),
                delivered.stream().filter(d -> d.startsWith(joined + " ")).toList(), "each once, in order");
    }
}
