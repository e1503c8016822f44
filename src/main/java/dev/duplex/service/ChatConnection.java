package dev.duplex.service;

import dev.duplex.codec.FrameCodec;
import dev.duplex.message.ServerFrame;
import dev.duplex.protocol.ErrorCode;
import jakarta.websocket.CloseReason;

/**
 * One open, accepted chat session: who it is, where it is, which sub-protocol it speaks, and its
 * outbound queue. Created only after the handshake parameters and sub-protocol were accepted.
 */
public final class ChatConnection {

    private final String id;
    private final String name;
    private final String room;
    private final String protocol;
    private final OutboundQueue outbound;
    private final FrameSink sink;

    public ChatConnection(String id, String name, String room, String protocol, FrameSink sink,
                          int maxQueuedFrames, long maxQueuedChars) {
        this.id = id;
        this.name = name;
        this.room = room;
        this.protocol = protocol;
        this.sink = sink;
        this.outbound = new OutboundQueue(sink, maxQueuedFrames, maxQueuedChars);
    }

    public String id() {
        return id;
    }

    public String name() {
        return name;
    }

    public String room() {
        return room;
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
