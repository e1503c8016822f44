package dev.duplex.broker.redis;

import dev.duplex.message.ServerFrame;
import dev.duplex.message.FrameKind;
import dev.duplex.broker.Broker;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.duplex.broker.Backplane;
import dev.duplex.broker.Topic;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** A node whose delivery thread cannot keep up: what waits for it is bounded, and no room message is lost. */
class RedisDeliveryTest extends RealRedisTest {

    private static final int BOUND = 4;

    @Test
    void aNodeThatFallsBehindDropsWhatExceedsItsBoundAndCatchesUpFromTheLog() throws Exception {
        TestRedis connection = new TestRedis(redis.url());
        RedisBackplane node = backplane(connection, 100,
                new RedisBackplane.Tuning(RedisBackplane.PRESENCE_TTL_MILLIS, NEVER, BOUND));
        Backplane poster = untickedBackplane(new TestRedis(redis.url()), 100);
        String room = "slow-" + System.nanoTime() % 100000;
        List<String> delivered = new CopyOnWriteArrayList<>();
        CountDownLatch stuck = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        node.broker().subscribe((topic, frame) -> {
            if (stuck.getCount() > 0) { // the first delivery takes as long as the test wants
                stuck.countDown();
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            String json = frame.text();
            delivered.add(json.contains("\"text\"") ? text(json) : json);
            return Broker.Subscriber.NOTHING_TO_SEND;
        });
        node.follow(room, null, p -> { });
        List<String> reports = new CopyOnWriteArrayList<>();
        Handler recorder = recorder(reports);
        Logger.getLogger(Delivery.class.getName()).addHandler(recorder);
        try {
            int heard = connection.heard();
            poster.store().append(room, "p", "m0", Instant.now());
            assertTrue(stuck.await(15, TimeUnit.SECONDS), "m0 reached the node");
            for (int i = 1; i < 20; i++) {
                poster.store().append(room, "p", "m" + i, Instant.now());
            }
            for (int i = 0; i < 5; i++) {
                poster.broker().publish(Topic.room(room, FrameKind.TYPING), new ServerFrame.Typing(room, "p"));
            }
            await(() -> connection.heard() >= heard + 25, "every bus message to reach the node");
            release.countDown();
            List<String> all = new ArrayList<>(IntStream.range(0, 20).mapToObj(i -> "m" + i).toList());
            await(() -> delivered.contains("m19"), "the node to catch up");
            poster.store().append(room, "p", "m20", Instant.now());
            all.add("m20");
            await(() -> delivered.contains("m20"), "live delivery afterwards");
            assertEquals(all, delivered, "every room message once, in order; the typing frames over the bound dropped");
            node.housekeep();
            assertEquals(1, reports.stream().filter(r -> r.contains("dropped 15 room messages")
                    && r.contains("5 other frames")).count(), "the drops are reported: " + reports);
        } finally {
            Logger.getLogger(Delivery.class.getName()).removeHandler(recorder);
        }
    }

    private static Handler recorder(List<String> messages) {
        SimpleFormatter formatter = new SimpleFormatter();
        return new Handler() {
            @Override
            public void publish(LogRecord record) {
                messages.add(formatter.formatMessage(record));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
    }
}
