package dev.duplex.service;

import dev.duplex.broker.Backplane;
import dev.duplex.broker.Broker;
import dev.duplex.broker.InMemoryBroker;
import dev.duplex.broker.InMemoryMessageStore;
import dev.duplex.broker.MessageIds;
import dev.duplex.broker.MessageStore;
import dev.duplex.message.ServerFrame;
import dev.duplex.config.DuplexConfig;
import dev.duplex.protocol.ChatProtocol;
import dev.duplex.protocol.SubProtocols;
import dev.duplex.protocol.SuperchatProtocol;
import jakarta.websocket.CloseReason;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * One running chat application: every service, wired once. Plain Java on purpose, so the same
 * graph runs under CDI ({@link DuplexBean}) and on containers without it.
 */
public final class Duplex implements AutoCloseable {

    private final DuplexConfig config;
    private final Broker broker;
    /** The Redis backplane when DUPLEX_REDIS_URL is set; null for a single node in memory. */
    private final Backplane backplane;
    private final ConnectionRegistry registry;
    private final RoomService rooms;
    private final AutoCloseable subscription;
    private final SessionManager sessions;
    private final NoticeService notices;
    private final OriginPolicy originPolicy;
    /** Our own scheduler when the container offered none; shut down with us. */
    private final ScheduledExecutorService ownScheduler;
    /** A thread of our own for room departures, when neither a given executor nor our scheduler serves. */
    private final ScheduledExecutorService ownDepartures;
    /** The threads of our own executors, joined on close. */
    private final List<Thread> ownThreads = new CopyOnWriteArrayList<>();
    private final FanOut fanOut;
    private final ScheduledFuture<?> heartbeat;
    private volatile boolean closed;

    public Duplex(DuplexConfig config) {
        this(config, Clock.systemUTC(), null);
    }

    /**
     * @param scheduler a container-managed scheduler for the heartbeat, or null to use one
     *                  daemon thread of our own
     */
    public Duplex(DuplexConfig config, Clock clock, ScheduledExecutorService scheduler) {
        this(config, clock, scheduler, null);
    }

    /**
     * @param departures runs the room departures of closed sessions (tests hold it to observe
     *                   them), or null for a thread of our own
     */
    Duplex(DuplexConfig config, Clock clock, ScheduledExecutorService scheduler, ScheduledExecutorService departures) {
        this.config = config;
        this.backplane = config.redisUrl()
                .map(url -> Backplane.redis(url, config.historyPerRoom(), clock))
                .orElse(null);
        this.broker = backplane == null ? new InMemoryBroker() : backplane.broker();
        this.registry = new ConnectionRegistry();
        MessageIds ids = new MessageIds(clock);
        TextRules rules = new TextRules(config.maxTextLength());
        MessageStore store = backplane == null
                ? new InMemoryMessageStore(ids, config.historyPerRoom(), config.historyMaxRooms())
                : backplane.store();
        this.rooms = new RoomService(store, broker, clock, rules, config.maxRoomsPerSession(), backplane);
        this.fanOut = new FanOut(config.fanoutThreads(), ownThreadFactory("duplex-fanout"));
        this.subscription = broker.subscribe(new LocalDelivery(registry, rooms, fanOut));
        if (backplane != null) {
            registry.listen(new ConnectionRegistry.Listener() {
                @Override
                public void opened(String name) {
                    backplane.online(name);
                }

                @Override
                public void closed(String name) {
                    backplane.offline(name);
                }
            });
        }
        DirectService directs = new DirectService(registry, broker, ids, clock, rules, backplane);
        SubProtocols protocols = new SubProtocols(List.of(
                new SuperchatProtocol(rooms, directs), new ChatProtocol(rooms)));
        this.ownScheduler = scheduler == null ? newDaemonThread("duplex-heartbeat") : null;
        ScheduledExecutorService background = scheduler == null ? ownScheduler : scheduler;
        // Every close hands its room departures to another thread. A container-managed executor
        // captures the EE context on each submission (on Payara a scan of every runtime jar,
        // bench/ANALYSIS.md), which would cost each closing HTTP thread that much: ours is cheap.
        this.ownDepartures = departures != null || ownScheduler != null ? null : newDaemonThread("duplex-departures");
        ScheduledExecutorService leaving = departures != null ? departures
                : ownScheduler != null ? ownScheduler : ownDepartures;
        this.sessions = new SessionManager(config, registry, rooms, protocols, limits(config), leaving);
        this.notices = new NoticeService(broker, ids, clock, rules);
        this.originPolicy = new OriginPolicy(config.allowedOrigins());
        Heartbeat sweep = sessions.heartbeat();
        this.heartbeat = background.scheduleWithFixedDelay(
                sweep, sweep.intervalNanos(), sweep.intervalNanos(), TimeUnit.NANOSECONDS);
    }

    private ScheduledExecutorService newDaemonThread(String name) {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, ownThreadFactory(name));
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }

    /** Daemon threads that {@link #close()} waits for; each leaves the list when it ends. */
    private ThreadFactory ownThreadFactory(String name) {
        return task -> {
            Thread thread = new Thread(() -> {
                try {
                    task.run();
                } finally {
                    ownThreads.remove(Thread.currentThread());
                }
            }, name);
            thread.setDaemon(true);
            ownThreads.add(thread);
            return thread;
        };
    }

    private static ServerFrame.Limits limits(DuplexConfig config) {
        return new ServerFrame.Limits(config.maxTextLength(), DuplexConfig.MAX_FRAME_BYTES,
                config.maxRoomsPerSession(), config.historyPerRoom(), RoomService.HISTORY_ON_JOIN,
                RoomService.HISTORY_PAGE_MAX, RoomService.TYPING_PER_SECOND,
                config.rateBurst() == 0 ? 0 : config.rateLimit(), config.rateBurst(), config.idleTimeoutSeconds());
    }

    public DuplexConfig config() {
        return config;
    }

    public SessionManager sessions() {
        return sessions;
    }

    public NoticeService notices() {
        return notices;
    }

    public OriginPolicy originPolicy() {
        return originPolicy;
    }

    public ConnectionRegistry connections() {
        return registry;
    }

    public RoomService rooms() {
        return rooms;
    }

    /** Whether this node is one of a cluster (DUPLEX_REDIS_URL set). */
    public boolean clustered() {
        return backplane != null;
    }

    /** Whether the node can serve: always for a single node; with Redis reachable when clustered. */
    public boolean healthy() {
        return !closed && (backplane == null || backplane.healthy());
    }

    /** This node's id in the cluster, or null for a single node. */
    public String nodeId() {
        return backplane == null ? null : backplane.nodeId();
    }

    /**
     * Servlet containers look for leftover threads right after undeploy (Tomcat warns of a leak).
     * An executor counts as terminated while its worker is still on its way out, so the threads
     * themselves are joined.
     */
    private void stopOwnThreads() {
        for (ScheduledExecutorService own : new ScheduledExecutorService[] {ownDepartures, ownScheduler}) {
            if (own != null) {
                own.shutdownNow();
            }
        }
        fanOut.shutdown(); // lets the chunks already handed over finish, then its threads end
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        try {
            for (Thread thread : ownThreads) {
                long left = deadline - System.nanoTime();
                if (left > 0) {
                    TimeUnit.NANOSECONDS.timedJoin(thread, left);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Closes every session with 1001, stops the heartbeat and the broker. Safe to call twice. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        heartbeat.cancel(false);
        stopOwnThreads();
        sessions.closeAll(new CloseReason(CloseReason.CloseCodes.GOING_AWAY, "server shutting down"));
        try {
            subscription.close();
        } catch (Exception e) {
            throw new IllegalStateException("could not unsubscribe from the broker", e);
        }
        broker.close();
        if (backplane != null) {
            backplane.close();
        }
    }
}
