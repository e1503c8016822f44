package dev.duplex.service;

/**
 * Encoded text ready to send, with its UTF-8 size. A broadcast creates one and queues that same
 * object for every recipient, so neither encoding nor measuring is repeated per session.
 */
public record OutboundFrame(String text, int bytes) {

    /** Marks a WebSocket ping in a session's queue; never sent as text. */
    static final OutboundFrame PING = new OutboundFrame("", 0);

    public static OutboundFrame of(String text) {
        return new OutboundFrame(text, dev.duplex.codec.FrameCodec.utf8Length(text));
    }
}
