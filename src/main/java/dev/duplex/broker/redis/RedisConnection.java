package dev.duplex.broker.redis;

import dev.duplex.broker.BackplaneUnavailableException;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A node's two connections to Redis: one for commands, one subscribed to the bus. Lettuce
 * reconnects both by itself (and resubscribes); commands issued while Redis is away fail at once
 * instead of queueing, and {@link #call} turns every Redis failure into
 * {@link BackplaneUnavailableException}. Not final: tests wrap the bus and the commands.
 */
class RedisConnection implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(RedisConnection.class.getName());

    /** What the bus subscription hears. Called on a Lettuce thread: must not block. */
    interface BusListener {
        void message(String payload);

        /** Subscribed, first or again after a reconnect: what was published meanwhile was missed. */
        void subscribed();
    }

    private final RedisURI uri;
    private final ClientResources resources;
    private final RedisClient client;
    private String nodeId;
    private BusListener listener;
    private volatile StatefulRedisConnection<String, String> connection;
    private volatile StatefulRedisPubSubConnection<String, String> pubsub;
    private volatile boolean healthy;
    private volatile boolean closed;

    RedisConnection(String url) {
        this.uri = RedisURI.create(url);
        this.uri.setTimeout(Duration.ofSeconds(2));
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
    }

    /** Connects and subscribes to the bus; if Redis is not there yet, {@link #ping} tries again. */
    void open(String node, BusListener bus) {
        this.nodeId = node;
        this.listener = bus;
        connect();
    }

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
                    listener.message(message);
                }

                @Override
                public void subscribed(String channel, long count) {
                    listener.subscribed();
                }
            });
            subscription.sync().subscribe(Keys.BUS);
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

    /** Whether Redis answers a PING now (connecting first if it never did); logs each change. */
    boolean ping() {
        if (connection == null) {
            connect();
            if (connection == null) {
                return false;
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
        if (ok != wasHealthy) {
            LOG.log(ok ? System.Logger.Level.INFO : System.Logger.Level.WARNING,
                    ok ? "node {0}: Redis reachable again; catching up" : "node {0}: Redis unreachable; retrying",
                    nodeId);
        }
        return ok;
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

    /** Whether the last PING was answered and both connections are open. */
    boolean healthy() {
        StatefulRedisConnection<String, String> commands = connection;
        StatefulRedisPubSubConnection<String, String> subscription = pubsub;
        return healthy && !closed && commands != null && commands.isOpen() && subscription != null
                && subscription.isOpen();
    }

    boolean closed() {
        return closed;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
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
}
