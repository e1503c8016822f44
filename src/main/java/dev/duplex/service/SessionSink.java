package dev.duplex.service;

import jakarta.websocket.CloseReason;
import jakarta.websocket.SendHandler;
import jakarta.websocket.SendResult;
import jakarta.websocket.Session;
import java.io.IOException;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A {@link FrameSink} over a JSR 356 session.
 *
 * <p>Frames normally go out through the asynchronous remote, one at a time, each with a completion
 * handler. In <em>streaming</em> mode (containers on Tyrus: Payara, GlassFish) most frames go
 * through the basic remote's send writer instead. Tyrus re-arms its idle timer on every
 * {@code RemoteEndpoint} send by scheduling a task on the container's managed scheduler; on Payara
 * that task's context capture, hand-off and run cost more than the write itself (bench/ANALYSIS.md).
 * Its send writer skips the timer and only queues the frame, in order, behind those already
 * queued, so it never blocks. Without a completion there is no back-pressure, so after every
 * {@link #FENCE_CHARS} streamed characters the next frame goes through the asynchronous remote as a
 * fence: its completion means everything before it was written. Until it completes the session's
 * {@link OutboundQueue} holds further frames, and its bounds and send timeout judge a slow reader as
 * usual. On other containers the send writer blocks, so they always use the asynchronous remote.
 */
public final class SessionSink implements FrameSink {

    /** Characters streamed past the container before the next frame must be a fence. */
    static final int FENCE_CHARS = 32 * 1024;

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
    private final boolean streaming;
    /**
     * Characters streamed since the last fence completed. Only the session's single sender touches
     * it: {@link OutboundQueue} starts a send only after the previous one reported.
     */
    private long unfencedChars;

    /** A sink that always sends through the asynchronous remote. */
    public SessionSink(Session session) {
        this(session, false);
    }

    public SessionSink(Session session, boolean streaming) {
        this.session = session;
        this.streaming = streaming;
    }

    /**
     * Whether this session's container queues basic send-writer frames without blocking. Only Tyrus
     * is known to; the check names its session class instead of using any Tyrus API.
     */
    public static boolean streamsWithoutBlocking(Session session) {
        return session.getClass().getName().startsWith("org.glassfish.tyrus.");
    }

    @Override
    public void sendText(String text, SendHandler done) {
        if (streaming && unfencedChars < FENCE_CHARS) {
            stream(text, done);
            return;
        }
        sendAsync(text, streaming ? result -> {
            if (result.isOK()) {
                unfencedChars = 0;
            }
            done.onResult(result);
        } : done);
    }

    private void stream(String text, SendHandler done) {
        SendResult result;
        try {
            Writer writer = session.getBasicRemote().getSendWriter();
            // One write of the exact characters: Tyrus's writer turns each write into a String.
            char[] chars = text.toCharArray();
            writer.write(chars, 0, chars.length);
            writer.close();
            unfencedChars += chars.length;
            result = new SendResult();
        } catch (VirtualMachineError e) {
            throw e;
        } catch (IOException | RuntimeException | Error e) {
            result = new SendResult(e);
        }
        done.onResult(result);
    }

    private void sendAsync(String text, SendHandler done) {
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
