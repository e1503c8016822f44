package dev.duplex.broker.redis;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.duplex.broker.Backplane;
import org.junit.jupiter.api.Test;

/**
 * The user directory under races between sessions of one name opening and closing on a node and
 * its refresh: each test stops one thread at its Redis write and runs the other through meanwhile.
 */
class RedisUserDirectoryTest extends RealRedisTest {

    @Test
    void aCloseAndAnOpenOfTheSameNameAtOnceLeaveTheUserReachable() throws Exception {
        TestRedis connection = new TestRedis(redis.url());
        Backplane node = untickedBackplane(connection, 10);
        Backplane elsewhere = untickedBackplane(new TestRedis(redis.url()), 10);
        node.online("dana");
        Thread closing = new Thread(() -> node.offline("dana"), "closing");
        Thread opening = new Thread(() -> node.online("dana"), "opening");
        TestRedis.Stop beforeRemoval = connection.stopBefore(closing, Keys.user("dana"));
        closing.start();
        beforeRemoval.awaitReached(); // dana's last session is about to take her out of the directory
        opening.start();
        awaitDoneOrBlockedBy(opening, closing);
        beforeRemoval.release();
        closing.join();
        opening.join();
        assertTrue(elsewhere.reachable("dana"), "dana has a session open");
        ((RedisBackplane) node).housekeep();
        assertTrue(elsewhere.reachable("dana"), "and this node still refreshes her entry");
        node.offline("dana");
        assertFalse(elsewhere.reachable("dana"), "her last session closed");
    }

    @Test
    void aRefreshDuringTheLastCloseDoesNotListTheUserAgain() throws Exception {
        TestRedis connection = new TestRedis(redis.url());
        RedisBackplane node = untickedBackplane(connection, 10);
        node.online("erin");
        Thread refreshing = new Thread(node::housekeep, "refreshing");
        Thread closing = new Thread(() -> node.offline("erin"), "closing");
        TestRedis.Stop beforeRefresh = connection.stopBefore(refreshing, Keys.user("erin"));
        refreshing.start();
        beforeRefresh.awaitReached(); // the refresh is about to extend erin's entry
        closing.start();
        awaitDoneOrBlockedBy(closing, refreshing);
        beforeRefresh.release();
        refreshing.join();
        closing.join();
        assertFalse(node.reachable("erin"), "erin has no session left");
    }
}
