package dev.duplex.session;

import dev.duplex.config.DuplexConfig;
import dev.duplex.connection.Connection;
import dev.duplex.connection.ConnectionRegistry;
import dev.duplex.connection.Heartbeat;
import dev.duplex.connection.Transport;
import dev.duplex.message.ClientFrame;
import dev.duplex.message.CloseCode;
import dev.duplex.message.ErrorCode;
import dev.duplex.message.ServerFrame;
import dev.duplex.protocol.SubProtocolHandler;
import dev.duplex.protocol.SubProtocols;
import dev.duplex.service.RoomService;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The lifecycle of chat sessions, the same for every transport: admits or refuses a connection
 * attempt, routes each inbound frame to the session's sub-protocol within its rate limit, and
 * forgets a session once its transport reports it closed.
 */
public final class SessionManager {

    private static final System.Logger LOG = System.getLogger(SessionManager.class.getName());

    private final DuplexConfig config;
    private final ConnectionRegistry registry;
    private final RoomService rooms;
    private final SubProtocols protocols;
    private final ServerFrame.Limits limits;
    private final Connection.Limits connectionLimits;
    private final AddressLimiter addresses;
    private final Executor background;
    private final LongSupplier nanoClock;
    private final AtomicLong unexpectedErrors = new AtomicLong();
    private volatile boolean shuttingDown;

    /**
     * @param background runs room departures of closed sessions (see {@link #closed}) and the
     *                   connections' closes, aborts and keep-alives
     */
    public SessionManager(DuplexConfig config, ConnectionRegistry registry, RoomService rooms,
                          SubProtocols protocols, ServerFrame.Limits limits, Executor background,
                          LongSupplier nanoClock) {
        this.config = config;
        this.registry = registry;
        this.rooms = rooms;
        this.protocols = protocols;
        this.limits = limits;
        this.background = background;
        this.nanoClock = nanoClock;
        this.connectionLimits = new Connection.Limits(config.sendBufferBytes(),
                TimeUnit.SECONDS.toNanos(config.sendTimeoutSeconds()), config.rateLimit(), config.rateBurst());
        this.addresses = new AddressLimiter(config.maxConnectionsPerAddress());
    }

    /**
     * Admits a connection attempt: on success the session is registered, in its room, and its
     * {@code welcome} goes out first, followed by everything posted to the room after it.
     */
    public Admission open(Handshake handshake, Transport transport) {
        if (shuttingDown) {
            return new Admission.Refused(CloseCode.GOING_AWAY.close());
        }
        String negotiated = handshake.protocol();
        if (negotiated == null || negotiated.isEmpty()) {
            return new Admission.Refused(CloseCode.NO_SUBPROTOCOL.close(
                    "no common sub-protocol; offer one of: " + String.join(", ", protocols.names())));
        }
        SubProtocolHandler handler = protocols.find(negotiated);
        HandshakeParams params;
        try {
            params = HandshakeParams.parse(handshake.rawQuery(), handshake.principal());
        } catch (HandshakeParams.InvalidParameter invalid) {
            return new Admission.Refused(CloseCode.INVALID_PARAMETERS.close(invalid.getMessage()));
        }
        String address = handshake.remoteAddress();
        if (!addresses.acquire(address)) {
            return new Admission.Refused(CloseCode.TOO_MANY_CONNECTIONS.close(
                    "too many connections from your address (limit " + config.maxConnectionsPerAddress() + ")"));
        }
        Connection connection = new Connection(params.name(), params.room(), handler, transport, connectionLimits,
                address, background, nanoClock);
        // The queue holds everything until the session is in its room: the welcome stays first, and
        // a client that has its welcome receives everything posted to the room after it, even when
        // a notice or direct reaches the new session in between.
        connection.enqueue(handler.welcome(params.name(), params.room(), limits));
        registry.add(connection);
        if (!rooms.joinOnOpen(connection, params.room(), params.since())) {
            forget(connection);
            return new Admission.Refused(CloseCode.TRY_AGAIN_LATER.close());
        }
        connection.activate();
        return new Admission.Accepted(connection);
    }

    /** Routes one decoded text frame to the session's sub-protocol, within its rate limit. */
    public void receive(Connection connection, ClientFrame frame) {
        if (admitted(connection)) {
            protocols.find(connection.protocol().name()).handle(connection, frame);
        }
    }

    /** Binary frames are not part of the protocol; say so and keep the session (unless over 64 KiB). */
    public void receiveBinary(Connection connection, int size) {
        if (!admitted(connection)) {
            return;
        }
        if (size > DuplexConfig.MAX_FRAME_BYTES) {
            // Where the container did not enforce the limit itself (Undertow, Open Liberty).
            connection.close(CloseCode.FRAME_TOO_BIG.close());
            return;
        }
        connection.sendError(ErrorCode.BINARY_UNSUPPORTED, "binary frames are not supported; send JSON text");
    }

    /**
     * A pong (the answer to a keep-alive, {@code sequence} negative when it is not one of ours)
     * proves the peer alive and may confirm what it read; it costs no rate.
     */
    public void receivePong(Connection connection, long sequence) {
        connection.keepAliveAnswered(sequence);
    }

    /** Whether this inbound frame is within the session's rate limit; answers or closes when not. */
    private boolean admitted(Connection connection) {
        connection.heard();
        switch (connection.admit()) {
            case ALLOW:
                return true;
            case REFUSE:
                connection.send(new ServerFrame.Error(ErrorCode.RATE_LIMITED.wire(),
                        "too many messages; slow down", null, null, connection.retryAfterMillis()));
                return false;
            default:
                connection.close(CloseCode.RATE_LIMITED.close());
                return false;
        }
    }

    /** Forgets a session whose transport reported it closed. */
    public void closed(Connection connection) {
        connection.released();
        if (!forget(connection)) {
            return;
        }
        // A container may report the close on the thread whose write just failed — a thread that
        // may be broadcasting (Payara does). Leaving rooms takes room locks, so it runs elsewhere.
        Runnable leave = () -> {
            try {
                rooms.leaveAll(connection);
            } catch (RuntimeException e) {
                unexpectedErrors.incrementAndGet();
                LOG.log(System.Logger.Level.WARNING, "leaving the rooms of " + connection + " failed", e);
            }
        };
        try {
            background.execute(leave);
        } catch (RejectedExecutionException shuttingDown) {
            leave.run();
        }
    }

    /** Unregisters a session and frees its address slot, once; false when that was done already. */
    private boolean forget(Connection connection) {
        if (!connection.forget()) {
            return false;
        }
        registry.remove(connection);
        addresses.release(connection.remoteAddress());
        return true;
    }

    /** A broken connection a transport reported: routine, logged quietly. */
    public void connectionProblem(String sessionId, Throwable error) {
        LOG.log(System.Logger.Level.DEBUG, "session {0}: connection problem: {1}", sessionId, error);
    }

    /** Any other error a transport reported: a bug, counted and logged with its stack trace. */
    public void unexpectedError(String sessionId, Throwable error) {
        unexpectedErrors.incrementAndGet();
        LOG.log(System.Logger.Level.WARNING, "session " + sessionId + ": unexpected error", error);
    }

    /** Errors other than broken connections since start; zero in a healthy server. */
    public long unexpectedErrors() {
        return unexpectedErrors.get();
    }

    /** Closes sessions that went silent or stalled and keeps quiet ones alive; run periodically. */
    public Heartbeat heartbeat() {
        return new Heartbeat(registry, TimeUnit.SECONDS.toNanos(config.idleTimeoutSeconds()),
                connectionLimits.sendTimeoutNanos(), nanoClock);
    }

    /** Open sessions on this node. */
    public int openSessions() {
        return registry.size();
    }

    /**
     * Closes every session (server shutdown or undeploy) and refuses new ones. Every session is
     * closing before any leaves its rooms, so no departure is announced to a session that is about
     * to go too: the presence frames of a shutdown reach other nodes only.
     */
    public void closeAll(CloseCode.Close close) {
        shuttingDown = true;
        List<Connection> open = new ArrayList<>(registry.all());
        for (Connection connection : open) {
            connection.closeNow(close);
        }
        for (Connection connection : open) {
            if (forget(connection)) {
                rooms.leaveAll(connection);
            }
        }
    }
}
