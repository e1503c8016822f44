package dev.duplex.broker.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.duplex.broker.Backplane;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Presence under a race between a node's refresh and an exit: the refresh stops at its Redis write. */
class RedisPresenceTest extends RealRedisTest {

    @Test
    void aRefreshDuringAnExitDoesNotBringTheMemberBack() throws Exception {
        TestRedis connection = new TestRedis(redis.url());
        RedisBackplane node = untickedBackplane(connection, 10);
        String room = "presence-" + System.nanoTime() % 100000;
        node.enter(room, "fay");
        AtomicReference<Backplane.Membership> left = new AtomicReference<>();
        Thread refreshing = new Thread(node::housekeep, "refreshing");
        Thread exiting = new Thread(() -> left.set(node.exit(room, "fay")), "exiting");
        TestRedis.Stop beforeRefresh = connection.stopBefore(refreshing, Keys.presence(room));
        refreshing.start();
        beforeRefresh.awaitReached(); // the refresh is about to extend fay's entry
        exiting.start();
        awaitDoneOrBlockedBy(exiting, refreshing);
        beforeRefresh.release();
        refreshing.join();
        exiting.join();
        assertTrue(left.get().changed(), "fay left the room");
        assertEquals(List.of(), node.members(room));
        assertEquals(0L, (long) connection.call(c -> c.zcard(Keys.presence(room))),
                "no entry left to expire later and be announced as a second leave");
    }
}
