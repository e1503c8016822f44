package dev.duplex.connection;

import dev.duplex.codec.FrameCodec;
import dev.duplex.message.CloseCode;
import dev.duplex.message.ErrorCode;
import dev.duplex.message.FrameKind;
import dev.duplex.message.ServerFrame;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * One accepted chat session, whatever carries it: who it is, which rooms it is in, which
 * sub-protocol it speaks, its rate limit and its outbound queue over a {@link Transport}. Its id
 * is made here, unique across every node of a cluster (container session ids are not: Tomcat
 * numbers them from 0 in every JVM).
 */
public final class Connection {

    /** Typing notifications relayed per session per second; the rest are dropped. */
    public static final int TYPING_PER_SECOND = 3;
    private static final long TYPING_INTERVAL_NANOS = 1_000_000_000L / TYPING_PER_SECOND;

    private final String id = UUID.randomUUID().toString();
    private final String name;
    private final String room;
    private final SubProtocol protocol;
    private final Transport transport;
    private final OutboundQueue outbound;
    /** Rooms this session is in; changed only under the room's lock. */
    private final Set<String> rooms = ConcurrentHashMap.newKeySet();
    private final RateLimiter rateLimiter;
    private final String remoteAddress;
    private final LongSupplier nanoClock;
    private final AtomicLong lastTypingNanos;
    private final AtomicBoolean forgotten = new AtomicBoolean();
    private volatile long lastHeardNanos;

    /**
     * @param remoteAddress the peer's address when known, for the per-address connection count
     * @param background    runs closes, aborts and keep-alives off the broadcasting threads
     */
    public Connection(String name, String room, SubProtocol protocol, Transport transport, Limits limits,
                      String remoteAddress, Executor background, LongSupplier nanoClock) {
        this.name = name;
        this.room = room;
        this.protocol = protocol;
        this.transport = transport;
        this.remoteAddress = remoteAddress;
        this.nanoClock = nanoClock;
        long now = nanoClock.getAsLong();
        this.lastHeardNanos = now;
        this.lastTypingNanos = new AtomicLong(now - TYPING_INTERVAL_NANOS);
        this.outbound = new OutboundQueue(transport, limits.sendBufferBytes(), limits.sendTimeoutNanos(), background,
                nanoClock);
        this.rateLimiter = limits.rateBurst() > 0 ? new RateLimiter(limits.rateLimit(), limits.rateBurst(), now) : null;
    }

    /** What bounds one connection: its send buffer and send timeout, its inbound rate. */
    public record Limits(long sendBufferBytes, long sendTimeoutNanos, int rateLimit, int rateBurst) {
    }

    public String id() {
        return id;
    }

    public String name() {
        return name;
    }

    /** The room named in the handshake: a {@code chat} session's only room. */
    public String room() {
        return room;
    }

    /** The rooms the session is in now. */
    public Set<String> rooms() {
        return rooms;
    }

    public SubProtocol protocol() {
        return protocol;
    }

    /** Whether this session's sub-protocol takes frames of this kind. */
    public boolean receives(FrameKind kind) {
        return protocol.receives(kind);
    }

    /** The peer's address, or null when the transport did not tell. */
    public String remoteAddress() {
        return remoteAddress;
    }

    /** Records that the peer is alive (any frame, or a pong). */
    public void heard() {
        lastHeardNanos = nanoClock.getAsLong();
    }

    /** The peer answered a keep-alive: alive, and (where answers confirm) it read what came before. */
    public void keepAliveAnswered(long sequence) {
        heard();
        outbound.keepAliveAnswered(sequence);
    }

    public long lastHeardNanos() {
        return lastHeardNanos;
    }

    /** Counts one inbound frame against the session's rate limit. */
    public RateLimiter.Verdict admit() {
        return rateLimiter == null ? RateLimiter.Verdict.ALLOW : rateLimiter.take(nanoClock.getAsLong());
    }

    public long retryAfterMillis() {
        return rateLimiter == null ? 0 : rateLimiter.retryAfterMillis();
    }

    public OutboundQueue outbound() {
        return outbound;
    }

    /** Whether a typing notification may be relayed now; at most a few per second get through. */
    public boolean allowTyping() {
        long now = nanoClock.getAsLong();
        long last = lastTypingNanos.get();
        return now - last >= TYPING_INTERVAL_NANOS && lastTypingNanos.compareAndSet(last, now);
    }

    /** Queues a frame that is already encoded (a broadcast encoded once) and starts sending. */
    public OutboundQueue.Verdict send(OutboundFrame frame) {
        return outbound.offer(frame);
    }

    /** Encodes and sends a frame meant for this session only. */
    public OutboundQueue.Verdict send(ServerFrame frame) {
        return send(OutboundFrame.of(FrameCodec.encode(frame)));
    }

    /** Queues without sending: under a lock, {@link #flush()} once it is released. */
    public OutboundQueue.Verdict enqueue(OutboundFrame frame) {
        return outbound.enqueue(frame);
    }

    /** As {@link #enqueue(OutboundFrame)}, encoding a frame meant for this session only. */
    public OutboundQueue.Verdict enqueue(ServerFrame frame) {
        return enqueue(OutboundFrame.of(FrameCodec.encode(frame)));
    }

    /** Queues a stored message replayed to this session, without sending (see {@link OutboundFrame#counted()}). */
    public OutboundQueue.Verdict enqueueReplay(ServerFrame frame) {
        return enqueue(OutboundFrame.uncounted(FrameCodec.encode(frame)));
    }

    /** Starts sending what was queued. */
    public void flush() {
        outbound.flush();
    }

    /** Lets the queued frames (the {@code welcome} first) go out: the session is in its room. */
    public void activate() {
        outbound.activate();
    }

    /** Sends this session an {@code error} frame; the session stays open. */
    public void sendError(ErrorCode code, String message) {
        send(new ServerFrame.Error(code.wire(), message));
    }

    /** An {@code error} frame about a frame the client labelled {@code ref}, in {@code room}. */
    public void sendError(ErrorCode code, String message, String ref, String room) {
        send(new ServerFrame.Error(code.wire(), message, ref, room));
    }

    /** Sends this session an {@code error} frame with a code decided elsewhere (decoding). */
    public void sendError(String code, String message) {
        send(new ServerFrame.Error(code, message));
    }

    /** Closes after what is being written, off this thread; never blocks. */
    public void close(CloseCode.Close close) {
        outbound.close(close);
    }

    /** Closes on this thread, now: for shutdown (see {@link OutboundQueue#closeNow}). */
    public void closeNow(CloseCode.Close close) {
        outbound.closeNow(close);
    }

    /** The transport reported the connection closed. */
    public void released() {
        outbound.released();
    }

    /** Marks the connection as forgotten by its node; true only the first time. */
    public boolean forget() {
        return forgotten.compareAndSet(false, true);
    }

    @Override
    public String toString() {
        return "Connection[" + id + " " + name + "@" + room + " " + protocol.name() + " over " + transport.name() + "]";
    }
}
