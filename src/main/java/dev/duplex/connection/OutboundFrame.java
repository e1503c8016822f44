package dev.duplex.connection;

import dev.duplex.codec.FrameCodec;

/**
 * Encoded text ready to send, with its UTF-8 size. A broadcast creates one and queues that same
 * object for every recipient, so neither encoding nor measuring is repeated per session.
 *
 * @param counted whether it counts against the session's send buffer; history replayed on join is
 *                bounded by the room's history instead, and a resume may replay more than the buffer
 */
public record OutboundFrame(String text, int bytes, boolean counted) {

    public static OutboundFrame of(String text) {
        return new OutboundFrame(text, FrameCodec.utf8Length(text), true);
    }

    /** A frame that does not count against the send buffer (history replay). */
    public static OutboundFrame uncounted(String text) {
        return new OutboundFrame(text, FrameCodec.utf8Length(text), false);
    }
}
