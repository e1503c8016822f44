package dev.duplex.broker.redis;

import dev.duplex.broker.Backplane.ExpiryListener;
import dev.duplex.broker.Backplane.Membership;
import io.lettuce.core.Range;
import io.lettuce.core.ScriptOutputType;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Room membership across nodes: per room a sorted set of {@code name\nnode} scored by expiry. Each
 * node enters and exits its own entries, one script deciding whether that changed the room on
 * every node (so each join and leave is announced once), refreshes them every housekeeping tick,
 * and sweeps the rooms it follows for entries whose node stopped refreshing (it crashed).
 */
final class Presence {

    private static final LuaScript MEMBERSHIP = LuaScript.load("membership");
    private static final LuaScript SWEEP = LuaScript.load("sweep");

    private final RedisConnection redis;
    private final Clock clock;
    private final long ttlMillis;
    private final String nodeId;
    /** Names this node entered per room; a room's lock orders its enters, exits and refreshes. */
    private final KeyedState<Set<String>> entered = new KeyedState<>(HashSet::new, Set::isEmpty);
    private volatile ExpiryListener expiryListener;

    /** @param ttlMillis how long an entry lives unless refreshed */
    Presence(RedisConnection redis, Clock clock, long ttlMillis, String nodeId) {
        this.redis = redis;
        this.clock = clock;
        this.ttlMillis = ttlMillis;
        this.nodeId = nodeId;
    }

    Membership enter(String room, String name) {
        long now = clock.millis();
        return entered.change(room, names -> {
            List<Object> result = redis.call(c -> MEMBERSHIP.run(c, ScriptOutputType.MULTI,
                    new String[] {Keys.presence(room)}, "enter", nodeId, name, Long.toString(now),
                    Long.toString(now + ttlMillis), Long.toString(keyTtlMillis())));
            names.add(name);
            return membership(result);
        });
    }

    Membership exit(String room, String name) {
        return entered.changeIfPresent(room, names -> {
            names.remove(name);
            return exitScript(room, name);
        }, () -> exitScript(room, name));
    }

    private Membership exitScript(String room, String name) {
        long now = clock.millis();
        return membership(redis.call(c -> MEMBERSHIP.run(c, ScriptOutputType.MULTI,
                new String[] {Keys.presence(room)}, "exit", nodeId, name, Long.toString(now))));
    }

    List<String> members(String room) {
        long now = clock.millis();
        List<String> live = redis.call(c -> c.zrangebyscore(Keys.presence(room),
                Range.from(Range.Boundary.excluding(now), Range.Boundary.unbounded())));
        return names(live);
    }

    void onExpired(ExpiryListener listener) {
        this.expiryListener = listener;
    }

    /** Extends the expiry of every entry this node holds: one write per room. */
    void refresh() {
        double expiry = clock.millis() + ttlMillis;
        entered.forEach((room, names) -> {
            List<Object> scoresAndEntries = new ArrayList<>(names.size() * 2);
            for (String name : names) {
                scoresAndEntries.add(expiry);
                scoresAndEntries.add(name + "\n" + nodeId);
            }
            redis.call(c -> {
                c.zadd(Keys.presence(room), scoresAndEntries.toArray());
                return c.pexpire(Keys.presence(room), keyTtlMillis());
            });
        });
    }

    /** Removes members whose node stopped refreshing them and has them announced. */
    void sweep(Collection<String> rooms) {
        long now = clock.millis();
        for (String room : rooms) {
            List<Object> result = redis.call(c -> SWEEP.run(c, ScriptOutputType.MULTI,
                    new String[] {Keys.presence(room)}, Long.toString(now)));
            int gone = ((Number) result.get(0)).intValue();
            if (gone == 0) {
                continue;
            }
            List<String> members = names(result.subList(1 + gone, result.size()));
            ExpiryListener listener = expiryListener;
            for (Object name : result.subList(1, 1 + gone)) {
                if (listener != null) {
                    listener.expired(room, (String) name, members);
                }
            }
        }
    }

    /** A presence key outlives its entries' expiry, so sweeping can still see them expire. */
    private long keyTtlMillis() {
        return ttlMillis * 4;
    }

    /** {1 if the membership changed, live entries...} from the membership script. */
    private static Membership membership(List<Object> result) {
        return new Membership(((Number) result.get(0)).longValue() == 1, names(result.subList(1, result.size())));
    }

    /** Distinct member names of presence entries {@code name\nnode}, alphabetical. */
    private static List<String> names(List<?> entries) {
        TreeSet<String> names = new TreeSet<>();
        for (Object entry : entries) {
            String text = (String) entry;
            int newline = text.lastIndexOf('\n');
            names.add(newline < 0 ? text : text.substring(0, newline));
        }
        return new ArrayList<>(names);
    }
}
