package dev.duplex.service;

import dev.duplex.config.DuplexConfig;
import dev.duplex.message.ClientFrame;
import dev.duplex.message.ServerFrame;
import dev.duplex.protocol.AppCloseCode;
import dev.duplex.protocol.ErrorCode;
import dev.duplex.protocol.SubProtocolHandler;
import dev.duplex.protocol.SubProtocols;
import jakarta.websocket.CloseReason;
import jakarta.websocket.Session;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.security.Principal;
import java.util.ArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The lifecycle of chat sessions, behind the thin endpoint: admits or refuses a new session,
 * routes its frames to its sub-protocol's handler and forgets it when it closes.
 */
public final class SessionManager {

    private static final System.Logger LOG = System.getLogger(SessionManager.class.getName());
    private static final String CONNECTION = ChatConnection.class.getName();
    /** Session user property under which the handshake records the peer's address. */
    public static final String REMOTE_ADDRESS = "dev.duplex.remoteAddress";

    private final DuplexConfig config;
    private final ConnectionRegistry registry;
    private final RoomService rooms;
    private final SubProtocols protocols;
    private final ServerFrame.Limits limits;
    private final AddressLimiter addresses;
    private final Executor departures;
    private final AtomicLong unexpectedErrors = new AtomicLong();

    /**
     * @param departures runs room departures of closed sessions (see {@link #closed})
     */
    public SessionManager(DuplexConfig config, ConnectionRegistry registry, RoomService rooms,
                          SubProtocols protocols, ServerFrame.Limits limits, Executor departures) {
        this.config = config;
        this.registry = registry;
        this.rooms = rooms;
        this.protocols = protocols;
        this.limits = limits;
        this.departures = departures;
        this.addresses = new AddressLimiter(config.maxConnectionsPerAddress());
    }

    /** Admits a freshly opened session, or closes it with the documented code and reason. */
    public void open(Session session) {
        String negotiated = session.getNegotiatedSubprotocol();
        if (negotiated == null || negotiated.isEmpty()) {
            close(session, AppCloseCode.NO_SUBPROTOCOL.reason(
                    "no common sub-protocol; offer one of: " + String.join(", ", protocols.names())));
            return;
        }
        SubProtocolHandler handler = protocols.find(negotiated);
        HandshakeParams params;
        try {
            Principal user = session.getUserPrincipal();
            params = HandshakeParams.parse(session.getQueryString(), user == null ? null : user.getName());
        } catch (HandshakeParams.InvalidParameter invalid) {
            close(session, AppCloseCode.INVALID_PARAMETERS.reason(invalid.getMessage()));
            return;
        }
        String address = (String) session.getUserProperties().get(REMOTE_ADDRESS);
        if (!addresses.acquire(address)) {
            close(session, AppCloseCode.TOO_MANY_CONNECTIONS.reason(
                    "too many connections from your address (limit " + config.maxConnectionsPerAddress() + ")"));
            return;
        }
        // Containers default to small buffers (Tomcat: 8 KiB); the protocol promises 64 KiB.
        session.setMaxTextMessageBufferSize(DuplexConfig.MAX_FRAME_BYTES);
        session.setMaxBinaryMessageBufferSize(DuplexConfig.MAX_FRAME_BYTES);
        // Liveness is ours to judge (Heartbeat), the same on every container. Tyrus re-arms its idle
        // task even when setting 0, which on Payara costs a search of every runtime jar: skip if 0.
        if (session.getMaxIdleTimeout() != 0) {
            session.setMaxIdleTimeout(0);
        }
        ChatConnection connection = new ChatConnection(session.getId(), params.name(), params.room(),
                handler.name(), new SessionSink(session, streaming(session)), config.sendBufferBytes(),
                TimeUnit.SECONDS.toNanos(config.sendTimeoutSeconds()), config.rateLimit(), config.rateBurst(),
                address);
        session.getUserProperties().put(CONNECTION, connection);
        // The welcome is queued first but sent only once the session is in its room: a client
        // that has its welcome can rely on receiving everything posted to the room after it,
        // and frames broadcast in between queue up behind the welcome.
        boolean superchat = connection.superchat();
        connection.queueFirst(new ServerFrame.Welcome(handler.name(), params.name(), params.room(),
                superchat ? limits : null));
        registry.add(connection);
        if (!rooms.tryJoin(connection, params.room(), superchat ? params.since() : null, true)) {
            // Clustered and Redis is unreachable: no welcome, a close that says try again later.
            session.getUserProperties().remove(CONNECTION);
            registry.remove(connection);
            addresses.release(address);
            connection.close(new CloseReason(CloseReason.CloseCodes.TRY_AGAIN_LATER,
                    "chat backplane unavailable; try again later"));
            return;
        }
        connection.startSending();
    }

    /** Routes one decoded text frame to the session's sub-protocol, within its rate limit. */
    public void receive(Session session, ClientFrame frame) {
        ChatConnection connection = admitted(session);
        if (connection != null) {
            protocols.find(connection.protocol()).handle(connection, frame);
        }
    }

    /** Binary frames are not part of the protocol; say so and keep the session (unless over 64 KiB). */
    public void receiveBinary(Session session, int size) {
        ChatConnection connection = admitted(session);
        if (connection == null) {
            return;
        }
        if (size > DuplexConfig.MAX_FRAME_BYTES) {
            // Where the container did not enforce the limit itself (Undertow, Open Liberty).
            connection.close(AppCloseCode.FRAME_TOO_BIG);
            return;
        }
        connection.sendError(ErrorCode.BINARY_UNSUPPORTED, "binary frames are not supported; send JSON text");
    }

    /** A pong (the answer to a heartbeat ping) proves the peer alive; it costs no rate. */
    public void receivePong(Session session) {
        ChatConnection connection = connectionOf(session);
        if (connection != null) {
            connection.heard(System.nanoTime());
        }
    }

    /** The session's connection if this inbound frame is within its rate limit, otherwise null. */
    private ChatConnection admitted(Session session) {
        ChatConnection connection = connectionOf(session);
        if (connection == null) {
            return null;
        }
        long now = System.nanoTime();
        connection.heard(now);
        switch (connection.admit(now)) {
            case ALLOW:
                return connection;
            case REFUSE:
                connection.send(new ServerFrame.Error(ErrorCode.RATE_LIMITED.wire(),
                        "too many messages; slow down", null, null, connection.retryAfterMillis()));
                return null;
            default:
                connection.close(AppCloseCode.RATE_LIMITED.reason());
                return null;
        }
    }

    /** Forgets a session the container reported closed. */
    public void closed(Session session) {
        ChatConnection connection = (ChatConnection) session.getUserProperties().remove(CONNECTION);
        if (connection == null) {
            return;
        }
        connection.released();
        registry.remove(connection);
        addresses.release(connection.remoteAddress());
        // A container may report the close on the thread whose write just failed — a thread that
        // may hold another room's lock while it broadcasts (Payara does). Leaving rooms takes room
        // locks, so it runs elsewhere; taking them here could deadlock two such threads.
        Runnable leave = () -> {
            try {
                rooms.leaveAll(connection);
            } catch (RuntimeException e) {
                unexpectedErrors.incrementAndGet();
                LOG.log(System.Logger.Level.WARNING, "leaving the rooms of " + connection + " failed", e);
            }
        };
        try {
            departures.execute(leave);
        } catch (RejectedExecutionException shuttingDown) {
            leave.run();
        }
    }

    /**
     * An error the container reported for a session. Broken connections are routine and logged
     * quietly; anything else is a bug, counted and logged with its stack trace.
     */
    public void failed(Session session, Throwable error) {
        String id = session == null ? "?" : session.getId();
        if (isConnectionProblem(error)) {
            LOG.log(System.Logger.Level.DEBUG, "session {0}: connection problem: {1}", id, error);
            return;
        }
        unexpectedErrors.incrementAndGet();
        LOG.log(System.Logger.Level.WARNING, "session " + id + ": unexpected error", error);
    }

    /** Errors other than broken connections since start; zero in a healthy server. */
    public long unexpectedErrors() {
        return unexpectedErrors.get();
    }

    /** Closes sessions that went silent and pings quiet ones; run periodically. */
    Heartbeat heartbeat() {
        return new Heartbeat(registry, TimeUnit.SECONDS.toNanos(config.idleTimeoutSeconds()));
    }

    private static boolean isConnectionProblem(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof IOException || t instanceof ClosedChannelException) {
                return true;
            }
        }
        return false;
    }

    /** Closes every session (server shutdown or undeploy). */
    public void closeAll(CloseReason reason) {
        for (ChatConnection connection : new ArrayList<>(registry.all())) {
            rooms.leaveAll(connection);
            registry.remove(connection);
            addresses.release(connection.remoteAddress());
            connection.close(reason);
        }
    }

    private boolean streaming(Session session) {
        return config.sendMode() == DuplexConfig.SendMode.AUTO && SessionSink.streamsWithoutBlocking(session);
    }

    private static ChatConnection connectionOf(Session session) {
        return (ChatConnection) session.getUserProperties().get(CONNECTION);
    }

    private static void close(Session session, CloseReason reason) {
        new SessionSink(session).close(reason);
    }
}
