package dev.duplex.broker.redis;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/**
 * Base of the tests that run against a real redis-server: one server per test class, and every
 * backplane a test opens closed after it.
 */
abstract class RealRedisTest {

    /** A tick that never comes during a test: housekeeping runs when the test calls it. */
    static final Duration NEVER = Duration.ofDays(1);

    static RedisServer redis;
    private final List<RedisBackplane> nodes = new ArrayList<>();

    @BeforeAll
    static void startRedis() throws Exception {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stopRedis() throws Exception {
        if (redis != null) {
            redis.close();
        }
    }

    @AfterEach
    void closeNodes() {
        nodes.forEach(RedisBackplane::close);
    }

    /** A clustered node's backplane on the test's Redis, ticking as in production. */
    RedisBackplane backplane(int kept, long presenceTtlMillis) {
        return backplane(new TestRedis(redis.url()), kept,
                new RedisBackplane.Tuning(presenceTtlMillis, RedisBackplane.Tuning.DEFAULT.tick(),
                        RedisBackplane.DELIVERY_BOUND));
    }

    /** A node on {@code connection}, closed after the test. */
    RedisBackplane backplane(TestRedis connection, int kept, RedisBackplane.Tuning tuning) {
        RedisBackplane node = new RedisBackplane(connection, kept, Clock.systemUTC(), tuning);
        nodes.add(node);
        return node;
    }

    /** A node whose housekeeping runs only when the test calls {@link RedisBackplane#housekeep}. */
    RedisBackplane untickedBackplane(TestRedis connection, int kept) {
        return backplane(connection, kept, new RedisBackplane.Tuning(RedisBackplane.PRESENCE_TTL_MILLIS, NEVER,
                RedisBackplane.DELIVERY_BOUND));
    }

    /**
     * Waits for a catch-up on an unticked node, running its housekeeping once a second as the
     * tick would: a catch-up postponed because Redis answered too slowly (a loaded machine) is
     * asked for again, as in production.
     */
    static void awaitCatchUp(RedisBackplane node, BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        long nextHousekeeping = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        while (!condition.getAsBoolean()) {
            long now = System.nanoTime();
            if (now > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            if (now > nextHousekeeping) {
                node.housekeep();
                nextHousekeeping = now + TimeUnit.SECONDS.toNanos(1);
            }
            Thread.sleep(20);
        }
    }

    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    /** Waits until {@code thread} ended or waits for a lock {@code holder} holds: it got as far as it can. */
    static void awaitDoneOrBlockedBy(Thread thread, Thread holder) throws InterruptedException {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        await(() -> thread.getState() == Thread.State.TERMINATED || waitsFor(threads.getThreadInfo(thread.getId()), holder),
                thread.getName() + " to finish or to wait for " + holder.getName());
    }

    /** Whether any thread waits for a lock {@code holder} holds. */
    static boolean anyoneBlockedBy(Thread holder) {
        for (ThreadInfo info : ManagementFactory.getThreadMXBean().dumpAllThreads(false, false)) {
            if (waitsFor(info, holder)) {
                return true;
            }
        }
        return false;
    }

    private static boolean waitsFor(ThreadInfo info, Thread holder) {
        return info != null && info.getLockOwnerId() == holder.getId();
    }

    /** The text of an encoded message frame. */
    static String text(String frame) {
        int start = frame.indexOf("\"text\":\"") + 8;
        return frame.substring(start, frame.indexOf('"', start));
    }
}
