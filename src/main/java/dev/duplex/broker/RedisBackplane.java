package dev.duplex.broker;

import dev.duplex.codec.FrameCodec;
import dev.duplex.message.FrameKind;
import dev.duplex.message.ServerFrame;
import dev.duplex.message.ServerFrame.ChatMessage;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.lettuce.core.resource.DefaultClientResources;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.function.Function;

/**
 * The Redis backplane (docs/SCALING.md). Each room is a stream {@code duplex:room:<room>} trimmed
 * to the history bound; one Lua script appends a message and publishes it, with the id of the
 * entry before it, on the channel {@code duplex:bus}, so the channel carries every room in stream
 * order. Each node subscribes once, delivers the rooms it follows in stream order and remembers
 * its position per room; when a message's predecessor is not its position (the subscription
 * dropped, Redis restarted) it reads the missing entries from the stream first; entries trimmed
 * before it could read them are reported to the {@link GapListener} and skipped. Presence and
 * online users are sorted sets scored by expiry, refreshed by every node, so a crashed node's
 * members disappear by themselves.
 */
public final class RedisBackplane implements Backplane {

    private static final System.Logger LOG = System.getLogger(RedisBackplane.class.getName());

    static final String BUS = "duplex:bus";
    /** A node's presence entries live this long unless refreshed (every third of it). */
    static final long PRESENCE_TTL_MILLIS = 15_000;
    private static final int FILL_BATCH = 500;

    /**
     * KEYS[1] stream, KEYS[2] the id of the last entry trimmed away; ARGV maxlen, from, text, ts,
     * room, channel. Returns the new stream id.
     */
    private static final String APPEND = """
            local excess = redis.call('XLEN', KEYS[1]) + 1 - tonumber(ARGV[1])
            if excess > 0 then
              local dropped = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', excess)
              redis.call('SET', KEYS[2], dropped[#dropped][1])
            end
            local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
            local prev = '0-0'
            if last[1] then prev = last[1][1] end
            local id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[1], '*', 'f', ARGV[2], 'x', ARGV[3], 't', ARGV[4])
            redis.call('PUBLISH', ARGV[6], 'M\\n' .. ARGV[5] .. '\\n' .. prev .. '\\n' .. id .. '\\n' .. ARGV[4] .. '\\n' .. ARGV[2] .. '\\n' .. ARGV[3])
            return id
            """;
    /**
     * KEYS[1] stream, KEYS[2] the id of the last entry trimmed away; ARGV from, to, count. Returns
     * {last trimmed id or '', entries}: read together, so a gap is never missed nor invented by a
     * trim between the two reads.
     */
    private static final String READ = """
            local dropped = redis.call('GET', KEYS[2]) or ''
            return {dropped, redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[2], 'COUNT', ARGV[3])}
            """;
    /** KEYS[1] presence; ARGV node, name, now, expiry, ttl. Returns {1 if name is new, live entries...}. */
    private static final String ENTER = """
            local live = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[3], '+inf')
            local prefix = ARGV[2] .. '\\n'
            local new = 1
            for _, e in ipairs(live) do
              if string.sub(e, 1, #prefix) == prefix then new = 0 end
            end
            local entry = prefix .. ARGV[1]
            redis.call('ZADD', KEYS[1], ARGV[4], entry)
            redis.call('PEXPIRE', KEYS[1], ARGV[5])
            local result = {new}
            for _, e in ipairs(live) do if e ~= entry then table.insert(result, e) end end
            table.insert(result, entry)
            return result
            """;
    /** KEYS[1] presence; ARGV node, name, now. Returns {1 if name is gone, live entries...}. */
    private static final String EXIT = """
            redis.call('ZREM', KEYS[1], ARGV[2] .. '\\n' .. ARGV[1])
            local live = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[3], '+inf')
            local prefix = ARGV[2] .. '\\n'
            local gone = 1
            for _, e in ipairs(live) do
              if string.sub(e, 1, #prefix) == prefix then gone = 0 end
            end
            local result = {gone}
            for _, e in ipairs(live) do table.insert(result, e) end
            return result
            """;
    /** KEYS[1] presence; ARGV now. Returns {count of vanished names, names..., live entries...}. */
    private static final String SWEEP = """
            local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
            if #expired == 0 then return {0} end
            redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
            local live = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf')
            local liveNames = {}
            for _, e in ipairs(live) do liveNames[string.match(e, '^(.*)\\n[^\\n]*$')] = true end
            local gone = {}
            local seen = {}
            for _, e in ipairs(expired) do
              local name = string.match(e, '^(.*)\\n[^\\n]*$')
              if name and not liveNames[name] and not seen[name] then
                seen[name] = true
                table.insert(gone, name)
              end
            end
            local result = {#gone}
            for _, n in ipairs(gone) do table.insert(result, n) end
            for _, e in ipairs(live) do table.insert(result, e) end
            return result
            """;

    private final String nodeId = UUID.randomUUID().toString().substring(0, 8);
    private final long presenceTtlMillis;
    private final int housekeepingTicks;
    private final RedisURI uri;
    private final int keptPerRoom;
    private final Clock clock;
    private final ClientResources resources;
    private final RedisClient client;
    private volatile StatefulRedisConnection<String, String> connection;
    private volatile StatefulRedisPubSubConnection<String, String> pubsub;
    private volatile boolean healthy;
    private volatile boolean closed;
    private final ExecutorService delivery;
    private final ScheduledExecutorService ticker;
    private final AtomicLong ticks = new AtomicLong();

    private final Map<String, Feed> feeds = new ConcurrentHashMap<>();
    /** Names this node entered per room (refreshed every housekeeping tick). */
    private final Map<String, Set<String>> entered = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> online = new ConcurrentHashMap<>();
    private volatile Broker.Subscriber subscriber;
    private volatile ExpiryListener expiryListener;
    private volatile GapListener gapListener;
    private final RedisBroker broker = new RedisBroker();
    private final RedisMessageStore store = new RedisMessageStore();

    RedisBackplane(String url, int keptPerRoom, Clock clock) {
        this(url, keptPerRoom, clock, PRESENCE_TTL_MILLIS);
    }

    /** @param presenceTtlMillis how long presence entries live unless refreshed (tests shorten it) */
    RedisBackplane(String url, int keptPerRoom, Clock clock, long presenceTtlMillis) {
        this.presenceTtlMillis = presenceTtlMillis;
        this.housekeepingTicks = (int) Math.max(1, presenceTtlMillis / 3_000);
        this.uri = RedisURI.create(url);
        this.uri.setTimeout(Duration.ofSeconds(2));
        this.keptPerRoom = keptPerRoom;
        this.clock = clock;
        this.resources = DefaultClientResources.builder()
                .ioThreadPoolSize(2)
                .computationThreadPoolSize(2)
                .reconnectDelay(Delay.constant(Duration.ofMillis(500)))
                .build();
        this.client = RedisClient.create(resources, uri);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .socketOptions(SocketOptions.builder().connectTimeout(Duration.ofSeconds(2)).build())
                .build());
        this.delivery = Executors.newSingleThreadExecutor(daemon("duplex-redis-delivery"));
        this.ticker = Executors.newSingleThreadScheduledExecutor(daemon("duplex-redis-tick"));
        connect();
        ticker.scheduleWithFixedDelay(this::tick, 1, 1, TimeUnit.SECONDS);
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return task -> {
            Thread thread = new Thread(task, name);
            thread.setDaemon(true);
            return thread;
        };
    }

    /** Opens the command and subscriber connections; afterwards Lettuce reconnects them itself. */
    private synchronized void connect() {
        if (connection != null || closed) {
            return;
        }
        try {
            StatefulRedisConnection<String, String> commands = client.connect();
            StatefulRedisPubSubConnection<String, String> subscription = client.connectPubSub();
            subscription.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String channel, String message) {
                    submit(() -> handle(message));
                }

                @Override
                public void subscribed(String channel, long count) {
                    // First subscription, or again after a reconnect: read what was missed meanwhile.
                    submit(RedisBackplane.this::catchUpAll);
                }
            });
            subscription.sync().subscribe(BUS);
            connection = commands;
            pubsub = subscription;
            healthy = true;
            LOG.log(System.Logger.Level.INFO, "node {0}: connected to Redis at {1}:{2}", nodeId, uri.getHost(),
                    String.valueOf(uri.getPort()));
        } catch (RedisException e) {
            healthy = false;
            LOG.log(System.Logger.Level.WARNING, "node {0}: Redis at {1}:{2} unreachable, retrying: {3}", nodeId,
                    uri.getHost(), String.valueOf(uri.getPort()), e.getMessage());
        }
    }

    private void submit(Runnable task) {
        if (!closed) {
            try {
                delivery.execute(task);
            } catch (java.util.concurrent.RejectedExecutionException ignored) {
                // closing
            }
        }
    }

    /** Every second: is Redis there? Every few: refresh presence, sweep expired members, catch up. */
    private void tick() {
        try {
            if (connection == null) {
                connect();
                if (connection == null) {
                    return;
                }
            }
            boolean wasHealthy = healthy;
            boolean ok;
            try {
                ok = "PONG".equals(connection.sync().ping());
            } catch (RedisException e) {
                ok = false;
            }
            healthy = ok;
            if (!ok) {
                if (wasHealthy) {
                    LOG.log(System.Logger.Level.WARNING, "node {0}: Redis unreachable; retrying", nodeId);
                }
                return;
            }
            if (!wasHealthy) {
                LOG.log(System.Logger.Level.INFO, "node {0}: Redis reachable again; catching up", nodeId);
            }
            if (!wasHealthy || ticks.incrementAndGet() % housekeepingTicks == 0) {
                refresh();
                sweep();
                submit(this::catchUpAll);
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "node " + nodeId + ": housekeeping failed", e);
        }
    }

    /** Runs one Redis call; any Redis failure becomes {@link BackplaneUnavailableException}. */
    <T> T call(Function<RedisCommands<String, String>, T> command) {
        StatefulRedisConnection<String, String> current = connection;
        if (current == null) {
            throw new BackplaneUnavailableException("Redis is unreachable", null);
        }
        try {
            return command.apply(current.sync());
        } catch (RedisException e) {
            throw new BackplaneUnavailableException("Redis is unreachable: " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- keys

    /*
     * A room's keys share the hash tag {room}, so its scripts stay on one shard of a Redis Cluster.
     */

    /** The room's log, a stream. */
    static String logKey(String room) {
        return "duplex:{" + room + "}:log";
    }

    /** The id of the last entry trimmed from the room's log. */
    static String droppedKey(String room) {
        return "duplex:{" + room + "}:dropped";
    }

    /** The room's members: a sorted set of {@code name\nnode} scored by expiry. */
    static String presenceKey(String room) {
        return "duplex:{" + room + "}:presence";
    }

    /** The nodes a user has {@code superchat} sessions on, scored by expiry. */
    static String userKey(String name) {
        return "duplex:user:{" + name + "}";
    }

    // ---------------------------------------------------------------- room logs and delivery

    /** One followed room on this node: how far its log was delivered here. Guarded by itself. */
    private static final class Feed {
        final String room;
        int followers;
        /** Stream id of the last entry delivered here; null until initialised. */
        String position;
        boolean retired;
        final TreeMap<String, List<Supplier<Runnable>>> pending = new TreeMap<>(StreamIds::compare);
        /**
         * Sending (and acks) for what was delivered under the lock, started once it is released:
         * nothing is written while the room's delivery lock is held.
         */
        List<Runnable> unsent = new ArrayList<>();

        Feed(String room) {
            this.room = room;
        }
    }

    @Override
    public void follow(String room, String since, Consumer<String> atPosition) {
        Feed feed;
        synchronized (feeds) {
            feed = feeds.computeIfAbsent(room, Feed::new);
            feed.followers++;
        }
        try {
            synchronized (feed) {
                if (feed.position == null) {
                    feed.position = lastStreamId(room);
                }
                String sinceStream = StreamIds.toStreamId(since);
                if (sinceStream != null && StreamIds.compare(sinceStream, feed.position) > 0) {
                    fill(feed); // this client saw more elsewhere than this node delivered yet
                }
                atPosition.accept(StreamIds.ZERO.equals(feed.position) ? null : StreamIds.toMessageId(feed.position));
            }
            // The caller holds the room's lock: what a catch-up delivered is sent from the delivery thread.
            submit(() -> sendDelivered(feed));
        } catch (RuntimeException e) {
            unfollow(room);
            throw e;
        }
    }

    @Override
    public void unfollow(String room) {
        synchronized (feeds) {
            Feed feed = feeds.get(room);
            if (feed == null || --feed.followers > 0) {
                return;
            }
            feeds.remove(room);
            synchronized (feed) {
                feed.retired = true;
                feed.pending.values().forEach(queued -> queued.forEach(queue -> feed.unsent.add(queue.get())));
                feed.pending.clear();
            }
            submit(() -> sendDelivered(feed));
        }
    }

    @Override
    public void afterDelivered(String room, String id, Supplier<Runnable> action) {
        String streamId = StreamIds.toStreamId(id);
        Feed feed = feeds.get(room);
        if (feed == null || streamId == null) {
            action.get().run();
            return;
        }
        synchronized (feed) {
            if (feed.retired || feed.position == null || StreamIds.compare(streamId, feed.position) <= 0) {
                feed.unsent.add(action.get());
            } else {
                feed.pending.computeIfAbsent(streamId, k -> new ArrayList<>(1)).add(action);
            }
        }
        sendDelivered(feed);
    }

    /** The room's last entry, or the last one trimmed if none is kept, or 0-0. */
    private String lastStreamId(String room) {
        List<StreamMessage<String, String>> last = call(c -> c.xrevrange(logKey(room), Range.unbounded(),
                Limit.create(0, 1)));
        if (!last.isEmpty()) {
            return last.get(0).getId();
        }
        return lastTrimmed(room);
    }

    /** Entries of a room's log and the id of the last entry trimmed from it, read atomically. */
    private record Slice(String lastTrimmed, List<Object> entries) {
    }

    /** The log's entries from {@code from} to {@code to} (XRANGE bounds), at most {@code count}. */
    @SuppressWarnings("unchecked")
    private Slice read(String room, String from, String to, int count) {
        List<Object> result = call(c -> c.eval(READ, ScriptOutputType.MULTI,
                new String[] {logKey(room), droppedKey(room)}, from, to, Integer.toString(count)));
        String dropped = (String) result.get(0);
        return new Slice(dropped == null || dropped.isEmpty() ? StreamIds.ZERO : dropped,
                (List<Object>) result.get(1));
    }

    /** One entry of a {@link Slice}: {id, [field, value, ...]}. */
    @SuppressWarnings("unchecked")
    private static ChatMessage toMessage(String room, Object entry) {
        List<Object> pair = (List<Object>) entry;
        List<Object> fields = (List<Object>) pair.get(1);
        Map<String, String> body = new java.util.HashMap<>();
        for (int i = 0; i + 1 < fields.size(); i += 2) {
            body.put((String) fields.get(i), (String) fields.get(i + 1));
        }
        return new ChatMessage(StreamIds.toMessageId((String) pair.get(0)), room, body.get("f"), body.get("x"),
                Instant.ofEpochMilli(Long.parseLong(body.get("t"))));
    }

    /** A message from the bus, on the delivery thread. */
    private void handle(String payload) {
        try {
            if (payload.startsWith("M\n")) {
                String[] f = payload.split("\n", 7);
                Feed feed = feeds.get(f[1]);
                if (feed == null) {
                    return;
                }
                synchronized (feed) {
                    if (feed.retired || feed.position == null || StreamIds.compare(f[3], feed.position) <= 0) {
                        return; // not followed any more, or delivered already
                    }
                    if (f[2].equals(feed.position)) {
                        deliver(feed, f[3], new ChatMessage(StreamIds.toMessageId(f[3]), f[1], f[5], f[6],
                                Instant.ofEpochMilli(Long.parseLong(f[4]))));
                    } else {
                        fill(feed); // a gap: read the stream from our position
                    }
                }
                sendDelivered(feed);
            } else if (payload.startsWith("T\n")) {
                String[] f = payload.split("\n", 7);
                Topic.Scope scope = Topic.Scope.valueOf(f[1]);
                Topic topic = new Topic(scope, scope == Topic.Scope.EVERYONE ? null : f[2], FrameKind.valueOf(f[3]),
                        f[4].isEmpty() ? null : f[4], f[5].isEmpty() ? null : f[5]);
                Broker.Subscriber target = subscriber;
                if (target != null) {
                    target.deliver(topic, Published.encoded(f[6])).run();
                }
            }
        } catch (BackplaneUnavailableException e) {
            LOG.log(System.Logger.Level.DEBUG, "node {0}: catch-up postponed: {1}", nodeId, e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "node " + nodeId + ": could not deliver a bus message", e);
        }
    }

    /**
     * Delivers every entry after the feed's position. When entries after the position were trimmed
     * before this node read them, reports the gap first and continues with the oldest kept entry.
     * Each batch and its gap check are one atomic read, so the position only moves forward, over
     * contiguous entries or over a reported gap. Caller holds the feed.
     */
    private void fill(Feed feed) {
        while (true) {
            Slice slice = read(feed.room, StreamIds.next(feed.position), "+", FILL_BATCH);
            if (StreamIds.compare(slice.lastTrimmed(), feed.position) > 0) {
                skip(feed, slice.lastTrimmed());
            }
            for (Object entry : slice.entries()) {
                ChatMessage message = toMessage(feed.room, entry);
                deliver(feed, (String) ((List<?>) entry).get(0), message);
            }
            if (slice.entries().size() < FILL_BATCH) {
                return;
            }
        }
    }

    /** Moves the position over entries trimmed before they were delivered here, and says so. */
    private void skip(Feed feed, String lastTrimmed) {
        String after = feed.position;
        LOG.log(System.Logger.Level.WARNING, "node {0}: room {1}: entries after {2} up to {3} were trimmed before "
                + "this node delivered them (history-gap)", nodeId, feed.room, after, lastTrimmed);
        GapListener listener = gapListener;
        if (listener != null) {
            try {
                listener.gap(feed.room, StreamIds.ZERO.equals(after) ? null : StreamIds.toMessageId(after),
                        StreamIds.toMessageId(lastTrimmed));
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "node " + nodeId + ": gap listener failed", e);
            }
        }
        advance(feed, lastTrimmed);
    }

    /** Queues a message for this node's sessions under the feed's lock; see {@link #sendDelivered}. */
    private void deliver(Feed feed, String streamId, ChatMessage message) {
        Broker.Subscriber target = subscriber;
        if (target != null) {
            feed.unsent.add(target.deliver(Topic.room(feed.room), Published.of(message)));
        }
        advance(feed, streamId);
    }

    /** Sets the position and releases what waited for it (acks), in order after the deliveries. */
    private static void advance(Feed feed, String streamId) {
        feed.position = streamId;
        while (!feed.pending.isEmpty() && StreamIds.compare(feed.pending.firstKey(), streamId) <= 0) {
            for (Supplier<Runnable> queue : feed.pending.pollFirstEntry().getValue()) {
                feed.unsent.add(queue.get());
            }
        }
    }

    /** Starts the sending of what was delivered under the feed's lock; called without it. */
    private static void sendDelivered(Feed feed) {
        List<Runnable> batch;
        synchronized (feed) {
            if (feed.unsent.isEmpty()) {
                return;
            }
            batch = feed.unsent;
            feed.unsent = new ArrayList<>();
        }
        for (Runnable sending : batch) {
            sending.run();
        }
    }

    private void catchUpAll() {
        for (Feed feed : feeds.values()) {
            try {
                synchronized (feed) {
                    if (!feed.retired && feed.position != null) {
                        fill(feed);
                    }
                }
            } catch (BackplaneUnavailableException e) {
                return;
            } finally {
                sendDelivered(feed);
            }
        }
    }

    static ChatMessage toMessage(String room, StreamMessage<String, String> entry) {
        Map<String, String> body = entry.getBody();
        return new ChatMessage(StreamIds.toMessageId(entry.getId()), room, body.get("f"), body.get("x"),
                Instant.ofEpochMilli(Long.parseLong(body.get("t"))));
    }

    /** Tests: stops listening to the bus, as a dropped subscription does, until {@link #resubscribeBus}. */
    void unsubscribeBus() {
        pubsub.sync().unsubscribe(BUS);
    }

    /** Tests: listens to the bus again; like a reconnect, this catches every followed room up. */
    void resubscribeBus() {
        pubsub.sync().subscribe(BUS);
    }

    /** Tests: keeps the delivery thread busy until {@code release} opens. */
    void holdDelivery(java.util.concurrent.CountDownLatch release) {
        submit(() -> {
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    // ---------------------------------------------------------------- presence and users

    @Override
    public Membership enter(String room, String name) {
        long now = clock.millis();
        List<Object> result = call(c -> c.eval(ENTER, ScriptOutputType.MULTI, new String[] {presenceKey(room)},
                nodeId, name, Long.toString(now), Long.toString(now + presenceTtlMillis),
                Long.toString(presenceTtlMillis * 4)));
        entered.computeIfAbsent(room, r -> ConcurrentHashMap.newKeySet()).add(name);
        return new Membership(flag(result.get(0)), names(result.subList(1, result.size())));
    }

    @Override
    public Membership exit(String room, String name) {
        entered.computeIfPresent(room, (r, names) -> {
            names.remove(name);
            return names.isEmpty() ? null : names;
        });
        long now = clock.millis();
        List<Object> result = call(c -> c.eval(EXIT, ScriptOutputType.MULTI, new String[] {presenceKey(room)},
                nodeId, name, Long.toString(now)));
        return new Membership(flag(result.get(0)), names(result.subList(1, result.size())));
    }

    @Override
    public List<String> members(String room) {
        long now = clock.millis();
        List<String> live = call(c -> c.zrangebyscore(presenceKey(room),
                Range.from(Range.Boundary.excluding(now), Range.Boundary.unbounded())));
        return names(new ArrayList<>(live));
    }

    @Override
    public void onExpired(ExpiryListener listener) {
        this.expiryListener = listener;
    }

    @Override
    public void onGap(GapListener listener) {
        this.gapListener = listener;
    }

    @Override
    public void online(String name) {
        if (online.computeIfAbsent(name, n -> new AtomicInteger()).incrementAndGet() == 1) {
            try {
                markOnline(name, clock.millis());
            } catch (BackplaneUnavailableException e) {
                // the next refresh after Redis is back adds it
            }
        }
    }

    @Override
    public void offline(String name) {
        AtomicInteger count = online.get(name);
        if (count != null && count.decrementAndGet() <= 0) {
            online.remove(name, count);
            try {
                call(c -> c.zrem(userKey(name), nodeId));
            } catch (BackplaneUnavailableException e) {
                // not refreshed any more: it expires
            }
        }
    }

    @Override
    public boolean reachable(String name) {
        long now = clock.millis();
        return call(c -> c.zcount(userKey(name),
                Range.from(Range.Boundary.excluding(now), Range.Boundary.unbounded()))) > 0;
    }

    private void markOnline(String name, long now) {
        call(c -> {
            c.zadd(userKey(name), (double) (now + presenceTtlMillis), nodeId);
            return c.pexpire(userKey(name), presenceTtlMillis * 4);
        });
    }

    /** Extends the expiry of everything this node holds. */
    private void refresh() {
        long now = clock.millis();
        double expiry = now + presenceTtlMillis;
        entered.forEach((room, names) -> {
            for (String name : names) {
                call(c -> {
                    c.zadd(presenceKey(room), expiry, name + "\n" + nodeId);
                    return c.pexpire(presenceKey(room), presenceTtlMillis * 4);
                });
            }
        });
        online.forEach((name, count) -> {
            if (count.get() > 0) {
                markOnline(name, now);
            }
        });
    }

    private String lastTrimmed(String room) {
        String dropped = call(c -> c.get(droppedKey(room)));
        return dropped == null ? StreamIds.ZERO : dropped;
    }

    /** Removes members whose node stopped refreshing them and has them announced. */
    private void sweep() {
        long now = clock.millis();
        for (String room : feeds.keySet()) {
            List<Object> result = call(c -> c.eval(SWEEP, ScriptOutputType.MULTI,
                    new String[] {presenceKey(room)}, Long.toString(now)));
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

    private static boolean flag(Object value) {
        return ((Number) value).longValue() == 1;
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

    // ---------------------------------------------------------------- the rest

    @Override
    public Broker broker() {
        return broker;
    }

    @Override
    public MessageStore store() {
        return store;
    }

    @Override
    public boolean healthy() {
        StatefulRedisConnection<String, String> commands = connection;
        StatefulRedisPubSubConnection<String, String> subscription = pubsub;
        return healthy && !closed && commands != null && commands.isOpen() && subscription != null
                && subscription.isOpen();
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
        delivery.shutdownNow();
        try {
            ticker.awaitTermination(3, TimeUnit.SECONDS);
            delivery.awaitTermination(3, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            if (pubsub != null) {
                pubsub.closeAsync();
            }
            if (connection != null) {
                connection.closeAsync();
            }
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
    }

    /** Frames for sessions on every node (presence, typing, directs, notices), over the bus. */
    private final class RedisBroker implements Broker {

        @Override
        public void publish(Topic topic, ServerFrame frame) {
            if (closed) {
                throw new IllegalStateException("broker is closed");
            }
            String payload = "T\n" + topic.scope() + "\n" + nullToEmpty(topic.key()) + "\n"
                    + topic.kind() + "\n" + nullToEmpty(topic.exceptConnection()) + "\n"
                    + nullToEmpty(topic.exceptName()) + "\n" + FrameCodec.encode(frame);
            call(c -> c.publish(BUS, payload));
        }

        @Override
        public AutoCloseable subscribe(Subscriber newSubscriber) {
            subscriber = newSubscriber;
            return () -> subscriber = null;
        }

        @Override
        public void close() {
            subscriber = null;
        }

        private static String nullToEmpty(String value) {
            return value == null ? "" : value;
        }
    }

    /** Each room's log: a Redis stream trimmed to the history bound. */
    private final class RedisMessageStore implements MessageStore {

        @Override
        public ChatMessage append(String room, String from, String text, Instant ts) {
            String id = call(c -> c.eval(APPEND, ScriptOutputType.VALUE, new String[] {logKey(room), droppedKey(room)},
                    Integer.toString(keptPerRoom), from, text, Long.toString(ts.toEpochMilli()), room, BUS));
            return new ChatMessage(StreamIds.toMessageId(id), room, from, text, ts);
        }

        @Override
        public Replay after(String room, String sinceId) {
            return after(room, sinceId, "99999999999999999999");
        }

        @Override
        public Replay after(String room, String sinceId, String upToId) {
            String since = StreamIds.toStreamId(sinceId);
            String upTo = upToId == null ? null : StreamIds.toStreamId(upToId);
            // upToId null: nothing delivered here yet, so nothing to replay; just the gap check.
            Slice slice = upToId == null
                    ? new Slice(lastTrimmed(room), List.of())
                    : read(room, since == null ? "-" : StreamIds.next(since), upTo == null ? "+" : upTo, keptPerRoom);
            String maxDeleted = slice.lastTrimmed();
            boolean gap = !StreamIds.ZERO.equals(maxDeleted) && (since != null
                    ? StreamIds.compare(maxDeleted, since) > 0
                    : StreamIds.toMessageId(maxDeleted).compareTo(sinceId) > 0);
            List<ChatMessage> messages = new ArrayList<>();
            for (Object entry : slice.entries()) {
                ChatMessage message = toMessage(room, entry);
                if (since != null || message.id().compareTo(sinceId) > 0) {
                    messages.add(message);
                }
            }
            return new Replay(messages, gap);
        }

        @Override
        public List<ChatMessage> latest(String room, int limit) {
            return newest(room, Range.Boundary.unbounded(), limit, null);
        }

        @Override
        public List<ChatMessage> latest(String room, int limit, String upToId) {
            if (upToId == null) {
                return List.of();
            }
            String upTo = StreamIds.toStreamId(upToId);
            return newest(room, upTo == null ? Range.Boundary.unbounded() : Range.Boundary.including(upTo), limit, null);
        }

        @Override
        public List<ChatMessage> before(String room, String beforeId, int limit) {
            String before = StreamIds.toStreamId(beforeId);
            if (before == null) {
                return newest(room, Range.Boundary.unbounded(), limit, beforeId);
            }
            if (StreamIds.ZERO.equals(before)) {
                return List.of();
            }
            return newest(room, Range.Boundary.including(StreamIds.previous(before)), limit, null);
        }

        /** Up to {@code limit} entries at or below {@code upper}, oldest first; filtered by a foreign id. */
        private List<ChatMessage> newest(String room, Range.Boundary<String> upper, int limit, String beforeForeign) {
            List<StreamMessage<String, String>> entries = call(c -> c.xrevrange(logKey(room),
                    Range.from(Range.Boundary.unbounded(), upper),
                    Limit.create(0, beforeForeign == null ? limit : keptPerRoom)));
            List<ChatMessage> page = new ArrayList<>(entries.size());
            for (StreamMessage<String, String> entry : entries) {
                ChatMessage message = toMessage(room, entry);
                if (beforeForeign == null || message.id().compareTo(beforeForeign) < 0) {
                    page.add(message);
                    if (page.size() == limit) {
                        break;
                    }
                }
            }
            Collections.reverse(page);
            return page;
        }

        @Override
        public int keptPerRoom() {
            return keptPerRoom;
        }
    }
}
