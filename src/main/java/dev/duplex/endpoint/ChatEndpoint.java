package dev.duplex.endpoint;

import dev.duplex.codec.ClientFrameDecoder;
import dev.duplex.config.DuplexConfig;
import dev.duplex.message.ClientFrame;
import dev.duplex.protocol.SubProtocols;
import dev.duplex.service.DuplexLocator;
import dev.duplex.service.SessionManager;
import jakarta.websocket.CloseReason;
import jakarta.websocket.OnClose;
import jakarta.websocket.OnError;
import jakarta.websocket.OnMessage;
import jakarta.websocket.OnOpen;
import jakarta.websocket.PongMessage;
import jakarta.websocket.Session;
import jakarta.websocket.server.ServerEndpoint;
import java.nio.ByteBuffer;

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

    private SessionManager sessions;

    @OnOpen
    public void onOpen(Session session) {
        sessions = DuplexLocator.current().sessions();
        sessions.open(session);
    }

    @OnMessage(maxMessageSize = DuplexConfig.MAX_FRAME_BYTES)
    public void onText(Session session, ClientFrame frame) {
        sessions.receive(session, frame);
    }

    @OnMessage(maxMessageSize = DuplexConfig.MAX_FRAME_BYTES)
    public void onBinary(Session session, ByteBuffer data) {
        sessions.receiveBinary(session, data.remaining());
    }

    @OnMessage
    public void onPong(Session session, PongMessage pong) {
        sessions.receivePong(session);
    }

    @OnClose
    public void onClose(Session session, CloseReason reason) {
        if (sessions != null) {
            sessions.closed(session);
        }
    }

    @OnError
    public void onError(Session session, Throwable error) {
        if (sessions != null) {
            sessions.failed(session, error);
        }
    }
}
