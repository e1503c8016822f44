package dev.duplex.transport.websocket;

import dev.duplex.app.Duplex;
import dev.duplex.app.DuplexLocator;
import dev.duplex.config.DuplexConfig;
import dev.duplex.connection.Connection;
import dev.duplex.message.ClientFrame;
import dev.duplex.message.CloseCode;
import dev.duplex.protocol.SubProtocols;
import dev.duplex.session.Admission;
import dev.duplex.session.Handshake;
import dev.duplex.session.SessionManager;
import jakarta.websocket.CloseReason;
import jakarta.websocket.OnClose;
import jakarta.websocket.OnError;
import jakarta.websocket.OnMessage;
import jakarta.websocket.OnOpen;
import jakarta.websocket.PongMessage;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpoint;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.security.Principal;
import java.util.concurrent.TimeUnit;

/**
 * The chat socket at {@code /chat}: a thin adapter from the WebSocket lifecycle to
 * {@link SessionManager}. Frames over 64 KiB are closed by the container with 1009.
 */
@ServerEndpoint(
        value = "/chat",
        subprotocols = {SubProtocols.SUPERCHAT, SubProtocols.CHAT},
        decoders = ClientFrameDecoder.class,
        configurator = ChatEndpointConfigurator.class)
public class ChatEndpoint {

    /** Session user property under which the handshake records the peer's address. */
    static final String REMOTE_ADDRESS = "dev.duplex.remoteAddress";

    private SessionManager sessions;
    private Connection connection;

    @OnOpen
    public void onOpen(Session session) {
        Duplex duplex;
        try {
            duplex = DuplexLocator.current();
        } catch (IllegalStateException shutDown) {
            close(session, CloseCode.GOING_AWAY.close());
            return;
        }
        sessions = duplex.sessions();
        DuplexConfig config = duplex.config();
        // Containers default to small buffers (Tomcat: 8 KiB); the protocol promises 64 KiB.
        session.setMaxTextMessageBufferSize(DuplexConfig.MAX_FRAME_BYTES);
        session.setMaxBinaryMessageBufferSize(DuplexConfig.MAX_FRAME_BYTES);
        // Liveness is ours to judge (Heartbeat), the same on every container. Tyrus re-arms its idle
        // task even when setting 0, which on Payara costs a search of every runtime jar: skip if 0.
        if (session.getMaxIdleTimeout() != 0) {
            session.setMaxIdleTimeout(0);
        }
        WebSocketTransport.limitBlockingSends(session, TimeUnit.SECONDS.toMillis(config.sendTimeoutSeconds()));
        Principal user = session.getUserPrincipal();
        Handshake handshake = new Handshake(session.getNegotiatedSubprotocol(), session.getQueryString(),
                user == null ? null : user.getName(), (String) session.getUserProperties().get(REMOTE_ADDRESS));
        Admission admission = sessions.open(handshake, WebSocketTransport.of(session, config.sendMode()));
        if (admission instanceof Admission.Accepted accepted) {
            connection = accepted.connection();
        } else if (admission instanceof Admission.Refused refused) {
            close(session, refused.close());
        }
    }

    @OnMessage(maxMessageSize = DuplexConfig.MAX_FRAME_BYTES)
    public void onText(Session session, ClientFrame frame) {
        if (connection != null) {
            sessions.receive(connection, frame);
        }
    }

    @OnMessage(maxMessageSize = DuplexConfig.MAX_FRAME_BYTES)
    public void onBinary(Session session, ByteBuffer data) {
        if (connection != null) {
            sessions.receiveBinary(connection, data.remaining());
        }
    }

    @OnMessage
    public void onPong(Session session, PongMessage pong) {
        if (connection != null) {
            sessions.receivePong(connection, WebSocketTransport.keepAliveSequence(pong.getApplicationData()));
        }
    }

    @OnClose
    public void onClose(Session session, CloseReason reason) {
        if (connection != null) {
            sessions.closed(connection);
        }
    }

    @OnError
    public void onError(Session session, Throwable error) {
        if (sessions == null) {
            return;
        }
        String id = connection != null ? connection.id() : session.getId();
        if (isConnectionProblem(error)) {
            sessions.connectionProblem(id, error);
        } else {
            sessions.unexpectedError(id, error);
        }
    }

    private static boolean isConnectionProblem(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof IOException || t instanceof ClosedChannelException) {
                return true;
            }
        }
        return false;
    }

    /** A refusal before any session exists: nothing else is queued, so it is closed at once. */
    private static void close(Session session, CloseCode.Close close) {
        WebSocketTransport.async(session).close(close);
    }
}
