package dev.duplex.service;

import dev.duplex.codec.FrameCodec;
import dev.duplex.message.ServerFrame;
import dev.duplex.protocol.ErrorCode;
import dev.duplex.protocol.SubProtocols;
import jakarta.websocket.CloseReason;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One open, accepted chat session: who it is, which rooms it is in, which sub-protocol it speaks,
 * and its outbound queue. Created only after the handshake parameters and sub-protocol were
 * accepted.
 */
public final class ChatConnection {

    private static final long TYPING_INTERVAL_NANOS = 1_000_000_000L / RoomService.TYPING_PER_SECOND;

    private final String id;
    private final String name;
    private final String room;
    private final String protocol;
    private final OutboundQueue outbound;
    private final FrameSink sink;
    private final boolean superchat;
    /** Rooms this session is in; changed only under the room's lock. */
    private final Set<String> rooms = ConcurrentHashMap.newKeySet();
    private final AtomicLong lastTypingNanos = new AtomicLong(System.nanoTime() - TYPING_INTERVAL_NANOS);
    private final RateLimiter rateLimiter;
    private final String remoteAddress;
    private volatile long lastHeardNanos = System.nanoTime();

    /**
     * @param rateLimit     inbound frames per second, or {@code 0} burst for no limit
     * @param remoteAddress the peer's address when known, for the per-address connection count
     */
    public ChatConnection(String id, String name, String room, String protocol, FrameSink sink,
                          long sendBufferBytes, long sendTimeoutNanos, int rateLimit, int rateBurst,
                          String remoteAddress) {
        this.id = id;
        this.name = name;
        this.room = room;
        this.protocol = protocol;
        this.sink = sink;
        this.superchat = SubProtocols.SUPERCHAT.equals(protocol);
        this.outbound = new OutboundQueue(sink, sendBufferBytes, sendTimeoutNanos);
        this.rateLimiter = rateBurst > 0 ? new RateLimiter(rateLimit, rateBurst, lastHeardNanos) : null;
        this.remoteAddress = remoteAddress;
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

    /** True for {@code superchat} sessions, which receive the rich frames. */
    public boolean superchat() {
        return superchat;
    }

    /** The peer's address, or null when the container did not tell. */
    public String remoteAddress() {
        return remoteAddress;
    }

    /** Records that the peer is alive (any frame, or a pong). */
    void heard(long nowNanos) {
        lastHeardNanos = nowNanos;
    }

    long lastHeardNanos() {
        return lastHeardNanos;
    }

    /** Counts one inbound frame against the session's rate limit. */
    RateLimiter.Verdict admit(long nowNanos) {
        return rateLimiter == null ? RateLimiter.Verdict.ALLOW : rateLimiter.take(nowNanos);
    }

    long retryAfterMillis() {
        return rateLimiter == null ? 0 : rateLimiter.retryAfterMillis();
    }

    OutboundQueue outbound() {
        return outbound;
    }

    /** Whether a typing notification may be relayed now; at most a few per second get through. */
    boolean allowTyping(long nowNanos) {
        long last = lastTypingNanos.get();
        return nowNanos - last >= TYPING_INTERVAL_NANOS && lastTypingNanos.compareAndSet(last, nowNanos);
    }

    /** The negotiated sub-protocol. */
    public String protocol() {
        return protocol;
    }

    /** Queues a frame that is already encoded (a broadcast encoded once for everyone). */
    public void send(OutboundFrame frame) {
        outbound.offer(frame);
    }

    /**
     * Queues the session's first frame without sending it yet; {@link #startSending()} releases
     * it once the session is a member of its room.
     */
    void queueFirst(ServerFrame frame) {
        outbound.enqueue(OutboundFrame.of(FrameCodec.encode(frame)));
    }

    /**
     * Queues a frame without starting to send it; {@link #startSending()} does. Returns false when
     * the session is closing (or turned out too slow).
     */
    boolean enqueue(OutboundFrame frame) {
        return outbound.enqueue(frame);
    }

    void startSending() {
        outbound.flush();
    }

    /** Encodes and queues a frame meant for this session only. */
    public void send(ServerFrame frame) {
        send(OutboundFrame.of(FrameCodec.encode(frame)));
    }

    /**
     * Queues a stored message replayed to this session. Replays do not count against the send
     * buffer: their size is bounded by the room's history, and a resume may legitimately replay
     * more than the buffer holds. The send timeout still applies.
     */
    void sendReplay(ServerFrame frame) {
        outbound.offer(new OutboundFrame(FrameCodec.encode(frame), 0));
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

    public void close(CloseReason reason) {
        outbound.dispose();
        sink.close(reason);
    }

    /** Forgets queued frames after the container reported the session closed. */
    void released() {
        outbound.dispose();
    }

    @Override
    public String toString() {
        return "ChatConnection[" + id + " " + name + "@" + room + " " + protocol + "]";
    }
}
