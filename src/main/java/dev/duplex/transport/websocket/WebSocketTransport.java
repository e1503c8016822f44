package dev.duplex.transport.websocket;

import dev.duplex.config.DuplexConfig;
import dev.duplex.connection.OutboundFrame;
import dev.duplex.connection.Transport;
import dev.duplex.message.CloseCode;
import jakarta.websocket.CloseReason;
import jakarta.websocket.SendHandler;
import jakarta.websocket.SendResult;
import jakarta.websocket.Session;
import java.io.IOException;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link Transport} over a JSR 356 session.
 *
 * <p>Frames normally go out through the asynchronous remote, one at a time, each with a completion
 * handler. In <em>streaming</em> mode (containers on Tyrus: Payara, GlassFish) most frames go
 * through the basic remote's send writer instead. Tyrus re-arms its idle timer on every
 * {@code RemoteEndpoint} send by scheduling a task on the container's managed scheduler; on Payara
 * that task's context capture, hand-off and run cost more than the write itself (bench/ANALYSIS.md).
 * Its send writer skips the timer and only queues the frame, in order, behind those already
 * queued, so it never blocks. Without a completion there is no back-pressure, so after every
 * {@link #FENCE_CHARS} streamed characters the next frame goes through the asynchronous remote as a
 * fence: its completion means everything before it was written. Until it completes the
 * connection's queue holds further frames, and its bounds and send timeout judge a slow reader as
 * usual. On other containers the send writer blocks, so they always use the asynchronous remote.
 */
public final class WebSocketTransport implements Transport {

    /** Characters streamed past the container before the next frame must be a fence. */
    static final int FENCE_CHARS = 32 * 1024;

    private static final System.Logger LOG = System.getLogger(WebSocketTransport.class.getName());

    private static final byte[] PING_PAYLOAD = "duplex".getBytes(StandardCharsets.US_ASCII);

    /**
     * The context class loader sends run under. Tyrus in Payara 6 re-arms its idle timer on every
     * send by scheduling a task on the container's managed scheduler, and Payara's context capture
     * for that task runs {@code ServiceLoader.load(ThreadContextProvider.class, tccl)}: with the web
     * application's loader that searches every jar of the runtime, about 60 % of fan-out CPU in a
     * profile (bench/ANALYSIS.md). Under a loader that sees only the JDK the search costs next to
     * nothing, and the timer task does nothing (idle timeouts are off; the heartbeat judges
     * liveness). Elsewhere it costs two field writes per frame.
     */
    private static final ClassLoader SEND_LOADER = new ClassLoader(null) {
    };

    private final Session session;
    private final boolean streaming;
    /**
     * Characters streamed since the last fence completed. Only the connection's single writer
     * touches it: a write starts only after the previous one completed.
     */
    private long unfencedChars;

    private WebSocketTransport(Session session, boolean streaming) {
        this.session = session;
        this.streaming = streaming;
    }

    /** The transport the send mode asks for: streaming where the container allows it ({@code auto}). */
    public static WebSocketTransport of(Session session, DuplexConfig.SendMode mode) {
        return mode == DuplexConfig.SendMode.AUTO && streamsWithoutBlocking(session)
                ? streaming(session) : async(session);
    }

    /** A transport that always sends through the asynchronous remote. */
    public static WebSocketTransport async(Session session) {
        return new WebSocketTransport(session, false);
    }

    /** A transport that streams through the send writer, with a fence every {@link #FENCE_CHARS}. */
    public static WebSocketTransport streaming(Session session) {
        return new WebSocketTransport(session, true);
    }

    /**
     * Whether this session's container queues basic send-writer frames without blocking. Only Tyrus
     * is known to; the check names its session class instead of using any Tyrus API.
     */
    public static boolean streamsWithoutBlocking(Session session) {
        return session.getClass().getName().startsWith("org.glassfish.tyrus.");
    }

    @Override
    public String name() {
        return "websocket";
    }

    @Override
    public void write(List<OutboundFrame> frames, Completion done) {
        new BatchWrite(frames, done).next();
    }

    /** Sends the frames of one batch in order, each send starting after the previous one completed. */
    private final class BatchWrite {
        private final List<OutboundFrame> frames;
        private final Completion done;
        private int index;

        BatchWrite(List<OutboundFrame> frames, Completion done) {
            this.frames = frames;
            this.done = done;
        }

        /**
         * Continues with the next frame. Sends that complete on this thread continue in the loop
         * rather than by recursion from their handler, so a long batch cannot overflow the stack.
         */
        void next() {
            while (index < frames.size()) {
                String text = frames.get(index++).text();
                if (streaming && unfencedChars < FENCE_CHARS) {
                    Throwable failure = stream(text);
                    if (failure != null) {
                        done.completed(failure);
                        return;
                    }
                    continue;
                }
                AtomicInteger progress = new AtomicInteger(PENDING);
                sendAsync(text, result -> {
                    if (!result.isOK()) {
                        // progress stays PENDING, so an inline failure also ends the loop

                        done.completed(result.getException());
                        return;
                    }
                    if (streaming) {
                        unfencedChars = 0;
                    }
                    if (!progress.compareAndSet(PENDING, DONE_INLINE)) {
                        next();
                    }
                });
                if (progress.compareAndSet(PENDING, RETURNED)) {
                    return; // still in flight; its handler continues
                }
            }
            done.completed(null);
        }
    }

    private static final int PENDING = 0;
    private static final int RETURNED = 1;
    private static final int DONE_INLINE = 2;

    /** Writes one frame through the send writer; returns the failure, or null. */
    private Throwable stream(String text) {
        try {
            Writer writer = session.getBasicRemote().getSendWriter();
            // One write of the exact characters: Tyrus's writer turns each write into a String.
            char[] chars = text.toCharArray();
            writer.write(chars, 0, chars.length);
            writer.close();
            unfencedChars += chars.length;
            return null;
        } catch (VirtualMachineError e) {
            throw e;
        } catch (IOException | RuntimeException | Error e) {
            return e;
        }
    }

    private void sendAsync(String text, SendHandler handler) {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(SEND_LOADER);
        try {
            session.getAsyncRemote().sendText(text, handler);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (RuntimeException | Error e) {
            // Some containers throw instead of reporting through the handler once the peer is gone,
            // and Tyrus throws an Error for text it cannot encode. Either way this send is over; a
            // send that never reports would stall the connection's queue.
            handler.onResult(new SendResult(e));
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    /**
     * The API offers pings only as a blocking call; the queue sends one only when nothing else is
     * in flight, and from its background executor.
     */
    @Override
    public void keepAlive(Completion done) {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(SEND_LOADER);
        Throwable failure = null;
        try {
            session.getAsyncRemote().sendPing(ByteBuffer.wrap(PING_PAYLOAD));
        } catch (VirtualMachineError e) {
            throw e;
        } catch (IOException | RuntimeException | Error e) {
            failure = e;
        } finally {
            thread.setContextClassLoader(previous);
        }
        done.completed(failure);
    }

    @Override
    public void close(CloseCode.Close close) {
        if (!session.isOpen()) {
            return;
        }
        try {
            session.close(reasonOf(close));
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "close of session {0} failed: {1}", session.getId(), e);
        }
    }

    @Override
    public void abort() {
        close(CloseCode.TOO_SLOW.close());
    }

    /** The JSR 356 form of a close from the code table. */
    static CloseReason reasonOf(CloseCode.Close close) {
        return new CloseReason(CloseReason.CloseCodes.getCloseCode(close.code().code()), close.reason());
    }
}
