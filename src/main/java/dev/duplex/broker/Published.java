package dev.duplex.broker;

import dev.duplex.codec.FrameCodec;
import dev.duplex.message.ServerFrame;

/**
 * A frame on its way to this node's sessions, encoded once, and only if some session takes it: a
 * presence frame in a room of {@code chat} sessions, whose member list grows with the room, is
 * then never encoded at all. Frames from other nodes arrive encoded.
 */
public final class Published {

    private final ServerFrame frame;
    private String text;

    private Published(ServerFrame frame, String text) {
        this.frame = frame;
        this.text = text;
    }

    public static Published of(ServerFrame frame) {
        return new Published(frame, null);
    }

    public static Published encoded(String text) {
        return new Published(null, text);
    }

    /** The frame's JSON; a subscriber delivers on one thread, so this encodes at most once. */
    public String text() {
        if (text == null) {
            text = FrameCodec.encode(frame);
        }
        return text;
    }
}
