package dev.duplex.transport.websocket;

import dev.duplex.config.DuplexConfig;
import dev.duplex.connection.OutboundFrame;
import dev.duplex.connection.Transport;
import dev.duplex.message.CloseCode;
import jakarta.websocket.CloseReason;
import jakarta.websocket.SendHandler;
import jakarta.websocket.SendResult;
import jakarta.websocket.Session;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link Transport} over a JSR 356 session.
 *
 * <p>Frames normally go out through the asynchronous remote, one at a time, each with a completion
 * handler. In <em>streaming</em> mode (containers on Tyrus: Payara, GlassFish) they go through the
 * basic remote's send writer instead. Tyrus re-arms its idle timer on every {@code RemoteEndpoint}
 * send by scheduling a task on the container's managed scheduler; on Payara that task's context
 * capture, hand-off and run cost more than the write itself (bench/ANALYSIS.md). Its send writer
 * skips the timer and only queues the frame, in order, behind those already queued, so it never
 * blocks and reports at once. On other containers the send writer blocks, so they always use the
 * asynchronous remote.
 *
 * <p>On Tyrus no completion means written, in either mode: its servlet writer reports a frame done
 * once Grizzly's output buffer took it, and Grizzly queues up to four times the socket's send buffer
 * (megabytes on loopback) before it says it cannot take more. So on Tyrus the connection's queue
 * counts bytes as written only once the peer answers a ping sent after them
 * ({@link #completionMeansWritten()}). On Tomcat an asynchronous send completes once written to the
 * socket.
 */
public final class WebSocketTransport implements Transport {

    private static final System.Logger LOG = System.getLogger(WebSocketTransport.class.getName());

    /** Marks our pings' payload (then 8 bytes of sequence number); anything else is not ours. */
    private static final short PING_TAG = 0x6478; // "dx"
    private static final int PING_BYTES = 10;

    /**
     * Tomcat's limit on a blocking send (pings, and the close frame of a 1000 or 1001 close), 20 s
     * by default. Other containers ignore it.
     */
    static final String TOMCAT_BLOCKING_SEND_TIMEOUT = "org.apache.tomcat.websocket.BLOCKING_SEND_TIMEOUT";
    /**
     * Tomcat's limit on how long the close frame of any other close may wait for the send in flight
     * and for room in the socket (50 ms by default), after which Tomcat drops the connection
     * without it. Other containers ignore it.
     */
    static final String TOMCAT_CLOSE_SEND_TIMEOUT = "org.apache.tomcat.websocket.ABNORMAL_SESSION_CLOSE_SEND_TIMEOUT";

    /**
     * The most a TCP socket's send buffer grows to: Linux autotunes it up to the third value of
     * net.ipv4.tcp_wmem (4 MiB by default), which is also the fallback. Neither Tyrus nor Grizzly
     * sets the size unless configured to.
     */
    static final long KERNEL_SEND_BUFFER_MAX = kernelSendBufferMax();

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
    private final boolean tyrus;

    private WebSocketTransport(Session session, boolean streaming) {
        this.session = session;
        this.streaming = streaming;
        this.tyrus = isTyrus(session);
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

    /** A transport that streams every frame through the send writer. */
    public static WebSocketTransport streaming(Session session) {
        return new WebSocketTransport(session, true);
    }

    /**
     * Whether this session's container queues basic send-writer frames without blocking. Only Tyrus
     * is known to; the check names its session class instead of using any Tyrus API.
     */
    public static boolean streamsWithoutBlocking(Session session) {
        return isTyrus(session);
    }

    private static boolean isTyrus(Session session) {
        return session.getClass().getName().startsWith("org.glassfish.tyrus.");
    }

    /**
     * Holds Tomcat's blocking sends (pings, close frames) to {@code millis}, so that a close to a
     * peer that stopped reading gives up within the send timeout, as promised.
     */
    static void limitBlockingSends(Session session, long millis) {
        session.getUserProperties().put(TOMCAT_BLOCKING_SEND_TIMEOUT, millis);
        session.getUserProperties().put(TOMCAT_CLOSE_SEND_TIMEOUT, millis);
    }

    @Override
    public String name() {
        return "websocket";
    }

    @Override
    public boolean completionMeansWritten() {
        return !tyrus;
    }

    @Override
    public long kernelBufferBytes() {
        return tyrus ? KERNEL_SEND_BUFFER_MAX : 0;
    }

    private static long kernelSendBufferMax() {
        long fallback = 4L << 20;
        try (BufferedReader reader = Files.newBufferedReader(Path.of("/proc/sys/net/ipv4/tcp_wmem"))) {
            String line = reader.readLine();
            String[] values = line == null ? new String[0] : line.trim().split("\\s+");
            return values.length == 3 ? Long.parseLong(values[2]) : fallback;
        } catch (IOException | RuntimeException notLinux) {
            return fallback;
        }
    }

    @Override
    public void write(List<OutboundFrame> frames, Completion done) {
        new BatchWrite(frames, done).next();
    }

    private static final int PENDING = 0;
    private static final int RETURNED = 1;
    private static final int DONE_INLINE = 2;

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
                if (streaming) {
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

    /** Writes one frame through the send writer; returns the failure, or null. */
    private Throwable stream(String text) {
        try {
            Writer writer = session.getBasicRemote().getSendWriter();
            // One write of the exact characters: Tyrus's writer turns each write into a String.
            char[] chars = text.toCharArray();
            writer.write(chars, 0, chars.length);
            writer.close();
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
     * A ping carrying {@code sequence}. The API offers pings only as a blocking call: on Tyrus it
     * only queues the ping behind the frames before it; elsewhere the queue sends one only from its
     * background executor, when nothing else is in flight.
     */
    @Override
    public void keepAlive(long sequence, Completion done) {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(SEND_LOADER);
        Throwable failure = null;
        try {
            session.getAsyncRemote().sendPing(ByteBuffer.allocate(PING_BYTES).putShort(PING_TAG).putLong(sequence).flip());
        } catch (VirtualMachineError e) {
            throw e;
        } catch (IOException | RuntimeException | Error e) {
            failure = e;
        } finally {
            thread.setContextClassLoader(previous);
        }
        done.completed(failure);
    }

    /** The sequence number a pong answers, or -1 when it does not answer one of our pings. */
    static long keepAliveSequence(ByteBuffer payload) {
        if (payload == null || payload.remaining() != PING_BYTES || payload.getShort(payload.position()) != PING_TAG) {
            return -1;
        }
        return payload.getLong(payload.position() + 2);
    }

    /** On Tomcat the close frame waits up to the send timeout (see {@link #limitBlockingSends}). */
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

    /**
     * No close frame can get through: on Tomcat a close whose frame may wait 1 ms drops the
     * connection; Tyrus drops what it still holds on any close and lets Grizzly write out the rest.
     */
    @Override
    public void abort() {
        session.getUserProperties().put(TOMCAT_CLOSE_SEND_TIMEOUT, 1L);
        close(CloseCode.TOO_SLOW.close());
    }

    /** The JSR 356 form of a close from the code table. */
    static CloseReason reasonOf(CloseCode.Close close) {
        return new CloseReason(CloseReason.CloseCodes.getCloseCode(close.code().code()), close.reason());
    }
}
