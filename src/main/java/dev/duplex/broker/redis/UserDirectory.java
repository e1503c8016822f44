package dev.duplex.broker.redis;

import dev.duplex.broker.BackplaneUnavailableException;
import io.lettuce.core.Range;
import java.time.Clock;

/**
 * Which users have a {@code superchat} session on some node, so a direct can be refused with
 * {@code no-such-user} on any node: per user a sorted set of the nodes they are on, scored by
 * expiry and refreshed by each node for as long as it has a session of theirs.
 */
final class UserDirectory {

    private final RedisConnection redis;
    private final Clock clock;
    private final long ttlMillis;
    private final String nodeId;
    /** This node's open sessions per name. */
    private final KeyedState<int[]> sessions = new KeyedState<>(() -> new int[1], open -> open[0] == 0);

    /** @param ttlMillis how long an entry lives unless refreshed */
    UserDirectory(RedisConnection redis, Clock clock, long ttlMillis, String nodeId) {
        this.redis = redis;
        this.clock = clock;
        this.ttlMillis = ttlMillis;
        this.nodeId = nodeId;
    }

    void online(String name) {
        sessions.change(name, open -> {
            if (++open[0] == 1) {
                try {
                    list(name, clock.millis());
                } catch (BackplaneUnavailableException e) {
                    // the next refresh after Redis is back adds it
                }
            }
            return null;
        });
    }

    void offline(String name) {
        sessions.changeIfPresent(name, open -> {
            if (--open[0] == 0) {
                try {
                    redis.call(c -> c.zrem(Keys.user(name), nodeId));
                } catch (BackplaneUnavailableException e) {
                    // not refreshed any more: it expires
                }
            }
            return null;
        }, () -> null);
    }

    boolean reachable(String name) {
        long now = clock.millis();
        return redis.call(c -> c.zcount(Keys.user(name),
                Range.from(Range.Boundary.excluding(now), Range.Boundary.unbounded()))) > 0;
    }

    /** Extends the expiry of every user this node has a session of. */
    void refresh() {
        long now = clock.millis();
        sessions.forEach((name, open) -> list(name, now));
    }

    private void list(String name, long now) {
        redis.call(c -> {
            c.zadd(Keys.user(name), (double) (now + ttlMillis), nodeId);
            return c.pexpire(Keys.user(name), ttlMillis * 4);
        });
    }
}
