package dev.duplex.broker.redis;

import dev.duplex.broker.BackplaneUnavailableException;
import io.lettuce.core.Range;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

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
    private final Map<String, Sessions> online = new ConcurrentHashMap<>();

    /**
     * This node's open sessions of one name. Its lock is held across the Redis write that follows a
     * change, so the directory gets the writes of one name in the order the counts changed: a close
     * that takes the name out cannot land after an open that put it back, nor a refresh after the
     * close. Removed from the map only after its last close was written; a thread that finds it
     * removed takes the current one.
     */
    private static final class Sessions {
        int open;
        boolean removed;
    }

    /** @param ttlMillis how long an entry lives unless refreshed */
    UserDirectory(RedisConnection redis, Clock clock, long ttlMillis, String nodeId) {
        this.redis = redis;
        this.clock = clock;
        this.ttlMillis = ttlMillis;
        this.nodeId = nodeId;
    }

    void online(String name) {
        while (true) {
            Sessions sessions = online.computeIfAbsent(name, n -> new Sessions());
            synchronized (sessions) {
                if (sessions.removed) {
                    continue;
                }
                if (++sessions.open == 1) {
                    try {
                        list(name, clock.millis());
                    } catch (BackplaneUnavailableException e) {
                        // the next refresh after Redis is back adds it
                    }
                }
                return;
            }
        }
    }

    void offline(String name) {
        while (true) {
            Sessions sessions = online.get(name);
            if (sessions == null) {
                return;
            }
            synchronized (sessions) {
                if (sessions.removed) {
                    continue;
                }
                if (--sessions.open == 0) {
                    try {
                        redis.call(c -> c.zrem(Keys.user(name), nodeId));
                    } catch (BackplaneUnavailableException e) {
                        // not refreshed any more: it expires
                    }
                    sessions.removed = true;
                    online.remove(name, sessions);
                }
                return;
            }
        }
    }

    boolean reachable(String name) {
        long now = clock.millis();
        return redis.call(c -> c.zcount(Keys.user(name),
                Range.from(Range.Boundary.excluding(now), Range.Boundary.unbounded()))) > 0;
    }

    /** Extends the expiry of every user this node has a session of. */
    void refresh() {
        long now = clock.millis();
        online.forEach((name, sessions) -> {
            synchronized (sessions) {
                if (!sessions.removed) {
                    list(name, now);
                }
            }
        });
    }

    private void list(String name, long now) {
        redis.call(c -> {
            c.zadd(Keys.user(name), (double) (now + ttlMillis), nodeId);
            return c.pexpire(Keys.user(name), ttlMillis * 4);
        });
    }
}
