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

    public ChatConnection(String id, String name, String room, String protocol, FrameSink sink,
                          int maxQueuedFrames, long maxQueuedChars) {
        this.id = id;
        this.name = name;
        this.room = room;
        this.protocol = protocol;
        this.sink = sink;
        this.superchat = SubProtocols.SUPERCHAT.equals(protocol);
        this.outbound = new OutboundQueue(sink, maxQueuedFrames, maxQueuedChars);
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

    /** Whether a typing notification may be relayed now; at most a few per second get through. */
    boolean allowTyping(long nowNanos) {
        long last = lastTypingNanos.get();
        return nowNanos - last >= TYPING_INTERVAL_NANOS && lastTypingNanos.compareAndSet(last, nowNanos);
    }

    /** The negotiated sub-protocol. */
    public String protocol() {
        return protocol;
    }

    /** Queues text that is already an encoded frame (a broadcast encoded once for everyone). */
    public void send(String encodedFrame) {
        outbound.offer(encodedFrame);
    }

    /**
     * Queues the session's first frame without sending it yet; {@link #startSending()} releases
     * it once the session is a member of its room.
     */
    void queueFirst(ServerFrame frame) {
        outbound.enqueue(FrameCodec.encode(frame));
    }

    void startSending() {
        outbound.flush();
    }

    /** Encodes and queues a frame meant for this session only. */
    public void send(ServerFrame frame) {
        send(FrameCodec.encode(frame));
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
