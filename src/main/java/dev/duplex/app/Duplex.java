package dev.duplex.app;

import dev.duplex.broker.Backplane;
import dev.duplex.broker.InMemoryBackplane;
import dev.duplex.broker.InMemoryMessageStore;
import dev.duplex.broker.MessageIds;
import dev.duplex.config.DuplexConfig;
import dev.duplex.connection.Connection;
import dev.duplex.connection.ConnectionRegistry;
import dev.duplex.connection.Heartbeat;
import dev.duplex.message.CloseCode;
import dev.duplex.message.ServerFrame;
import dev.duplex.protocol.ChatProtocol;
import dev.duplex.protocol.SubProtocols;
import dev.duplex.protocol.SuperchatProtocol;
import dev.duplex.service.DirectService;
import dev.duplex.service.FanOut;
import dev.duplex.service.LocalDelivery;
import dev.duplex.service.NoticeService;
import dev.duplex.service.RoomService;
import dev.duplex.service.TextRules;
import dev.duplex.service.UserDirectory;
import dev.duplex.session.OriginPolicy;
import dev.duplex.session.SessionManager;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * One running chat application: every service, wired once — the composition root. Plain Java on
 * purpose, so the same graph runs under CDI ({@link DuplexBean}) and on containers without it.
 */
public final class Duplex implements AutoCloseable {

    /** Threads that run closes, aborts, keep-alives and room departures; they end when idle. */
    private static final int BACKGROUND_THREADS = 4;

    private final DuplexConfig config;
    private final Backplane backplane;
    private final ConnectionRegistry registry;
    private final RoomService rooms;
    private final AutoCloseable subscription;
    private final SessionManager sessions;
    private final NoticeService notices;
    private final OriginPolicy originPolicy;
    /** Our own scheduler when the container offered none; shut down with us. */
    private final ScheduledExecutorService ownScheduler;
    /** Our own background pool, unless one was given. */
    private final ExecutorService ownBackground;
    /** The threads of our own executors, joined on close. */
    private final List<Thread> ownThreads = new CopyOnWriteArrayList<>();
    private final FanOut fanOut;
    private final ScheduledFuture<?> heartbeat;
    /**
     * Made at start: at undeploy the application's class loader may load no class it has not
     * loaded yet (Payara's throws NoClassDefFoundError), and every session must still get its 1001.
     */
    private final CloseCode.Close shutdownClose = CloseCode.GOING_AWAY.close();
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
     * @param background runs closes, aborts, keep-alives and the room departures of closed
     *                   sessions (tests hold it to observe them), or null for threads of our own. A
     *                   container-managed executor would capture the EE context on every submission
     *                   (on Payara a scan of every runtime jar, bench/ANALYSIS.md): ours is cheap.
     */
    public Duplex(DuplexConfig config, Clock clock, ScheduledExecutorService scheduler, Executor background) {
        this.config = config;
        MessageIds ids = new MessageIds(clock);
        this.backplane = config.redisUrl()
                .map(url -> Backplane.redis(url, config.historyPerRoom(), clock))
                .orElseGet(() -> new InMemoryBackplane(
                        new InMemoryMessageStore(ids, config.historyPerRoom(), config.historyMaxRooms())));
        this.registry = new ConnectionRegistry();
        UserDirectory.connect(registry, backplane);
        TextRules rules = new TextRules(config.maxTextLength());
        this.rooms = new RoomService(backplane, clock, rules, config.maxRoomsPerSession());
        this.fanOut = new FanOut(config.fanoutThreads(), ownThreadFactory("duplex-fanout"));
        this.subscription = backplane.broker().subscribe(new LocalDelivery(registry, rooms, fanOut));
        DirectService directs = new DirectService(registry, backplane, ids, clock, rules);
        SubProtocols protocols = new SubProtocols(List.of(
                new SuperchatProtocol(rooms, directs), new ChatProtocol(rooms)));
        this.ownScheduler = scheduler == null ? newDaemonThread("duplex-heartbeat") : null;
        ScheduledExecutorService timer = scheduler == null ? ownScheduler : scheduler;
        this.ownBackground = background == null ? newBackgroundPool() : null;
        Executor offPath = background != null ? background : ownBackground;
        this.sessions = new SessionManager(config, registry, rooms, protocols, limits(config), offPath, System::nanoTime);
        this.notices = new NoticeService(backplane.broker(), ids, clock, rules);
        this.originPolicy = new OriginPolicy(config.allowedOrigins());
        Heartbeat sweep = sessions.heartbeat();
        this.heartbeat = timer.scheduleWithFixedDelay(
                sweep, sweep.intervalNanos(), sweep.intervalNanos(), TimeUnit.NANOSECONDS);
    }

    private ScheduledExecutorService newDaemonThread(String name) {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, ownThreadFactory(name));
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }

    private ExecutorService newBackgroundPool() {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(BACKGROUND_THREADS, BACKGROUND_THREADS, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), ownThreadFactory("duplex-background"));
        // An idle server holds no background threads.
        pool.allowCoreThreadTimeOut(true);
        return pool;
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
                RoomService.HISTORY_PAGE_MAX, Connection.TYPING_PER_SECOND,
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

    /** {@code memory} for a node alone, {@code redis} for one of a cluster. */
    public String backplaneKind() {
        return backplane.kind();
    }

    /** Whether the node can serve: not closed, and its backplane reachable. */
    public boolean healthy() {
        return !closed && backplane.healthy();
    }

    public boolean isClosed() {
        return closed;
    }

    /** This node's id in the cluster, or null for a single node. */
    public String nodeId() {
        return backplane.nodeId();
    }

    /**
     * Servlet containers look for leftover threads right after undeploy (Tomcat warns of a leak).
     * An executor counts as terminated while its worker is still on its way out, so the threads
     * themselves are joined. The background pool finishes the closes already handed to it first.
     */
    private void stopOwnThreads() {
        if (ownScheduler != null) {
            ownScheduler.shutdownNow();
        }
        if (ownBackground != null) {
            ownBackground.shutdown();
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

    /** Closes every session with 1001, stops the heartbeat and the backplane. Safe to call twice. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        heartbeat.cancel(false);
        sessions.closeAll(shutdownClose);
        stopOwnThreads();
        try {
            subscription.close();
        } catch (Exception e) {
            throw new IllegalStateException("could not unsubscribe from the broker", e);
        }
        backplane.close();
    }
}
