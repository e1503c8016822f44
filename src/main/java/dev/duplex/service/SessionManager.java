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
import java.util.ArrayList;

/**
 * The lifecycle of chat sessions, behind the thin endpoint: admits or refuses a new session,
 * routes its frames to its sub-protocol's handler and forgets it when it closes.
 */
public final class SessionManager {

    private static final System.Logger LOG = System.getLogger(SessionManager.class.getName());
    private static final String CONNECTION = ChatConnection.class.getName();

    private final DuplexConfig config;
    private final ConnectionRegistry registry;
    private final RoomService rooms;
    private final SubProtocols protocols;
    private final ServerFrame.Limits limits;

    public SessionManager(DuplexConfig config, ConnectionRegistry registry, RoomService rooms,
                          SubProtocols protocols, ServerFrame.Limits limits) {
        this.config = config;
        this.registry = registry;
        this.rooms = rooms;
        this.protocols = protocols;
        this.limits = limits;
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
            params = HandshakeParams.parse(session.getQueryString());
        } catch (HandshakeParams.InvalidParameter invalid) {
            close(session, AppCloseCode.INVALID_PARAMETERS.reason(invalid.getMessage()));
            return;
        }
        // Containers default to small buffers (Tomcat: 8 KiB); the protocol promises 64 KiB.
        session.setMaxTextMessageBufferSize(DuplexConfig.MAX_FRAME_BYTES);
        session.setMaxBinaryMessageBufferSize(DuplexConfig.MAX_FRAME_BYTES);
        ChatConnection connection = new ChatConnection(session.getId(), params.name(), params.room(),
                handler.name(), new SessionSink(session),
                config.sendQueueMaxFrames(), config.sendQueueMaxChars());
        session.getUserProperties().put(CONNECTION, connection);
        // The welcome is queued first but sent only once the session is in its room: a client
        // that has its welcome can rely on receiving everything posted to the room after it,
        // and frames broadcast in between queue up behind the welcome.
        boolean superchat = connection.superchat();
        connection.queueFirst(new ServerFrame.Welcome(handler.name(), params.name(), params.room(),
                superchat ? limits : null));
        registry.add(connection);
        rooms.join(connection, params.room(), superchat ? params.since() : null);
        connection.startSending();
    }

    /** Routes one decoded text frame to the session's sub-protocol. */
    public void receive(Session session, ClientFrame frame) {
        ChatConnection connection = connectionOf(session);
        if (connection != null) {
            protocols.find(connection.protocol()).handle(connection, frame);
        }
    }

    /** Binary frames are not part of the protocol; say so and keep the session. */
    public void receiveBinary(Session session) {
        ChatConnection connection = connectionOf(session);
        if (connection != null) {
            connection.sendError(ErrorCode.BINARY_UNSUPPORTED, "binary frames are not supported; send JSON text");
        }
    }

    /** Forgets a session the container reported closed. */
    public void closed(Session session) {
        ChatConnection connection = (ChatConnection) session.getUserProperties().remove(CONNECTION);
        if (connection != null) {
            rooms.leaveAll(connection);
            registry.remove(connection);
            connection.released();
        }
    }

    /** A transport or container error; the container closes the session itself. */
    public void failed(Session session, Throwable error) {
        LOG.log(System.Logger.Level.DEBUG, "session {0} failed: {1}", session == null ? "?" : session.getId(), error);
    }

    /** Closes every session (server shutdown or undeploy). */
    public void closeAll(CloseReason reason) {
        for (ChatConnection connection : new ArrayList<>(registry.all())) {
            rooms.leaveAll(connection);
            registry.remove(connection);
            connection.close(reason);
        }
    }

    private static ChatConnection connectionOf(Session session) {
        return (ChatConnection) session.getUserProperties().get(CONNECTION);
    }

    private static void close(Session session, CloseReason reason) {
        new SessionSink(session).close(reason);
    }
}
