package dev.duplex.broker;

import java.time.Clock;
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

    static RedisServer redis;
    private final List<Backplane> nodes = new ArrayList<>();

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
        nodes.forEach(Backplane::close);
    }

    /** A clustered node's backplane on the test's Redis, closed after the test. */
    RedisBackplane backplane(int kept, long presenceTtlMillis) {
        RedisBackplane node = new RedisBackplane(redis.url(), kept, Clock.systemUTC(), presenceTtlMillis);
        nodes.add(node);
        return node;
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
}
