package dev.duplex.service;

import jakarta.websocket.CloseReason;
import jakarta.websocket.SendHandler;
import jakarta.websocket.SendResult;
import jakarta.websocket.Session;
import java.io.IOException;

/** A {@link FrameSink} over a JSR 356 session's asynchronous remote. */
public final class SessionSink implements FrameSink {

    private static final System.Logger LOG = System.getLogger(SessionSink.class.getName());

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
