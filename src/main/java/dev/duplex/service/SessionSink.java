package dev.duplex.service;

import jakarta.websocket.CloseReason;
import jakarta.websocket.SendHandler;
import jakarta.websocket.SendResult;
import jakarta.websocket.Session;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** A {@link FrameSink} over a JSR 356 session's asynchronous remote. */
public final class SessionSink implements FrameSink {

    private static final System.Logger LOG = System.getLogger(SessionSink.class.getName());

    private static final byte[] PING_PAYLOAD = "duplex".getBytes(StandardCharsets.US_ASCII);

    private final Session session;

    public SessionSink(Session session) {
        this.session = session;
    }

    @Override
    public void sendText(String text, SendHandler done) {
        try {
            session.getAsyncRemote().sendText(text, done);
        } catch (RuntimeException e) {
            // Some containers throw instead of reporting through the handler once the peer is gone.
            done.onResult(new SendResult(e));
        }
    }

    /**
     * The API offers pings only as a blocking call. The queue sends one only when nothing else is
     * in flight, so it is a small write into an idle socket.
     */
    @Override
    public void sendPing(SendHandler done) {
        try {
            session.getAsyncRemote().sendPing(ByteBuffer.wrap(PING_PAYLOAD));
            done.onResult(new SendResult());
        } catch (IOException | RuntimeException e) {
            done.onResult(new SendResult(e));
        }
    }

    @Override
    public void close(CloseReason reason) {
        if (!session.isOpen()) {
            return;
        }
        try {
            session.close(reason);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "close of session {0} failed: {1}", session.getId(), e);
        }
    }
}
