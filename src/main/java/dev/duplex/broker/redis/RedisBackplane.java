package dev.duplex.broker.redis;

import dev.duplex.broker.Backplane;
import dev.duplex.broker.BackplaneUnavailableException;
import dev.duplex.broker.Broker;
import dev.duplex.broker.MessageStore;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The Redis backplane (docs/SCALING.md): wires a node's parts and answers {@link Backplane} with
 * them. One ticker pings Redis every second and, every third of the presence TTL (or as soon as
 * Redis is back), refreshes what this node holds, sweeps expired members and catches every
 * followed room up from its log.
 */
public final class RedisBackplane implements Backplane {

    private static final System.Logger LOG = System.getLogger(RedisBackplane.class.getName());

    /** A node's presence entries live this long unless refreshed. */
    static final long PRESENCE_TTL_MILLIS = 15_000;
    /**
     * Bus messages that may wait for the delivery thread: some 35 MB if all carried the longest
     * text, usually a few. Room messages beyond it are read from their logs instead.
     */
    static final int DELIVERY_BOUND = 4_096;

    /**
     * @param presenceTtlMillis how long presence and directory entries live unless refreshed
     * @param tick              how often Redis is pinged
     * @param deliveryBound     how many bus messages may wait for the delivery thread
     */
    record Tuning(long presenceTtlMillis, Duration tick, int deliveryBound) {
        static final Tuning DEFAULT = new Tuning(PRESENCE_TTL_MILLIS, Duration.ofSeconds(1), DELIVERY_BOUND);
    }

    private final String nodeId = UUID.randomUUID().toString().substring(0, 8);
    private final RedisConnection redis;
    private final Delivery delivery;
    private final RedisBroker broker;
    private final RedisMessageStore store;
    private final RoomFeeds feeds;
    private final Presence presence;
    private final UserDirectory users;
    private final ScheduledExecutorService ticker;
    private final long housekeepingTicks;
    private long ticks;
    private boolean answered;
    private volatile boolean closed;

    /** Connects to Redis at {@code url}; the node carries on (and reconnects) if it is not there yet. */
    public RedisBackplane(String url, int keptPerRoom, Clock clock) {
        this(new RedisConnection(url), keptPerRoom, clock, Tuning.DEFAULT);
    }

    /** A node on {@code redis} (tests pass one they can interfere with), opened here. */
    RedisBackplane(RedisConnection redis, int keptPerRoom, Clock clock, Tuning tuning) {
        this.redis = redis;
        this.broker = new RedisBroker(redis);
        this.store = new RedisMessageStore(redis, keptPerRoom);
        this.delivery = new Delivery(tuning.deliveryBound(), new Delivery.Work() {
            @Override
            public void receive(String payload) {
                RedisBackplane.this.receive(payload);
            }

            @Override
            public void catchUp(String room) {
                feeds.catchUp(room);
            }

            @Override
            public void catchUpAll() {
                feeds.catchUpAll();
            }
        }, nodeId);
        this.feeds = new RoomFeeds(store, broker, delivery::catchUp, nodeId);
        this.presence = new Presence(redis, clock, tuning.presenceTtlMillis(), nodeId);
        this.users = new UserDirectory(redis, clock, tuning.presenceTtlMillis(), nodeId);
        this.housekeepingTicks = Math.max(1, tuning.presenceTtlMillis() / 3 / tuning.tick().toMillis());
        redis.open(nodeId, new RedisConnection.BusListener() {
            @Override
            public void message(String payload) {
                delivery.offer(payload);
            }

            @Override
            public void subscribed() {
                delivery.catchUpAll();
            }
        });
        this.answered = redis.healthy();
        this.ticker = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "duplex-redis-tick");
            thread.setDaemon(true);
            return thread;
        });
        ticker.scheduleWithFixedDelay(this::tick, tuning.tick().toMillis(), tuning.tick().toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** A bus message, on the delivery thread. */
    private void receive(String payload) {
        try {
            if (payload.startsWith(RoomFeeds.MESSAGE)) {
                feeds.receive(payload);
            } else if (payload.startsWith(RedisBroker.FRAME)) {
                broker.receive(payload);
            }
        } catch (BackplaneUnavailableException e) {
            LOG.log(System.Logger.Level.DEBUG, "node {0}: catch-up postponed: {1}", nodeId, e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "node " + nodeId + ": could not deliver a bus message", e);
        }
    }

    /** Every tick: is Redis there? Every few, or when it is back: housekeeping. */
    private void tick() {
        try {
            boolean ok = redis.ping();
            boolean back = ok && !answered;
            answered = ok;
            if (ok && (back || ++ticks % housekeepingTicks == 0)) {
                housekeep();
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "node " + nodeId + ": housekeeping failed", e);
        }
    }

    /**
     * Refreshes what this node holds, sweeps expired members, catches every followed room up and
     * reports what delivery dropped.
     */
    void housekeep() {
        delivery.report();
        presence.refresh();
        users.refresh();
        presence.sweep(feeds.rooms());
        delivery.catchUpAll();
    }

    @Override
    public Broker broker() {
        return broker;
    }

    @Override
    public MessageStore store() {
        return store;
    }

    @Override
    public void follow(String room, String since, Consumer<String> atPosition) {
        feeds.follow(room, since, atPosition);
    }

    @Override
    public void unfollow(String room) {
        feeds.unfollow(room);
    }

    @Override
    public void afterDelivered(String room, String id, Supplier<Runnable> action) {
        feeds.afterDelivered(room, id, action);
    }

    @Override
    public Membership enter(String room, String name) {
        return presence.enter(room, name);
    }

    @Override
    public Membership exit(String room, String name) {
        return presence.exit(room, name);
    }

    @Override
    public List<String> members(String room) {
        return presence.members(room);
    }

    @Override
    public void onExpired(ExpiryListener listener) {
        presence.onExpired(listener);
    }

    @Override
    public void onGap(GapListener listener) {
        feeds.onGap(listener);
    }

    @Override
    public void online(String name) {
        users.online(name);
    }

    @Override
    public void offline(String name) {
        users.offline(name);
    }

    @Override
    public boolean reachable(String name) {
        return users.reachable(name);
    }

    @Override
    public boolean healthy() {
        return !closed && redis.healthy();
    }

    @Override
    public String nodeId() {
        return nodeId;
    }

    @Override
    public String kind() {
        return "redis";
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        ticker.shutdownNow();
        try {
            ticker.awaitTermination(3, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        delivery.close();
        redis.close();
    }
}
