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

    /**
     * The context class loader sends run under. Tyrus in Payara 6 re-arms its idle timer on every
     * send by scheduling a task on the container's managed scheduler, and Payara's context capture
     * for that task runs {@code ServiceLoader.load(ThreadContextProvider.class, tccl)}: with the web
     * application's loader that searches every jar of the runtime, about 60 % of fan-out CPU in a
     * profile (bench/ANALYSIS.md). Under a loader that sees only the JDK the search costs next to
     * nothing, and the timer task does nothing (idle timeouts are off; {@link Heartbeat} judges
     * liveness). Elsewhere it costs two field writes per frame.
     */
    private static final ClassLoader SEND_LOADER = new ClassLoader(null) {
    };

    private final Session session;

    public SessionSink(Session session) {
        this.session = session;
    }

    @Override
    public void sendText(String text, SendHandler done) {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(SEND_LOADER);
        try {
            session.getAsyncRemote().sendText(text, done);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (RuntimeException | Error e) {
            // Some containers throw instead of reporting through the handler once the peer is gone,
            // and Tyrus throws an Error for text it cannot encode. Either way this send is over; a
            // send that never reports would stall the session's queue.
            done.onResult(new SendResult(e));
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    /**
     * The API offers pings only as a blocking call. The queue sends one only when nothing else is
     * in flight, so it is a small write into an idle socket.
     */
    @Override
    public void sendPing(SendHandler done) {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(SEND_LOADER);
        SendResult result;
        try {
            session.getAsyncRemote().sendPing(ByteBuffer.wrap(PING_PAYLOAD));
            result = new SendResult();
        } catch (VirtualMachineError e) {
            throw e;
        } catch (IOException | RuntimeException | Error e) {
            result = new SendResult(e);
        } finally {
            thread.setContextClassLoader(previous);
        }
        done.onResult(result);
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
