package dev.duplex.service;

/**
 * Encoded text ready to send, with its UTF-8 size. A broadcast creates one and queues that same
 * object for every recipient, so neither encoding nor measuring is repeated per session.
 */
public record OutboundFrame(String text, int bytes) {

    /** Marks a WebSocket ping in a session's queue; never sent as text. */
    static final OutboundFrame PING = new OutboundFrame("", 0);

    public static OutboundFrame of(String text) {
        return new OutboundFrame(text, utf8Length(text));
    }

    static int utf8Length(String text) {
        int bytes = 0;
        for (int i = 0, n = text.length(); i < n; i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }
}
