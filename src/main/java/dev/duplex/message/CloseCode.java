package dev.duplex.message;

import java.nio.charset.StandardCharsets;

/**
 * Every close the server initiates, on every transport: the code, its name and the reason it gives
 * (docs/PROTOCOL.md, "Close codes"). WebSocket sends the code in its close frame; transports without
 * one carry the same code and reason in their own way.
 */
public enum CloseCode {
    /** The server is shutting down or the application is being undeployed. */
    GOING_AWAY(1001, "going away", "server shutting down"),
    /** A frame over 64 KiB arrived; Duplex sends this itself where the container does not. */
    FRAME_TOO_BIG(1009, "message too big", "frame larger than 64 KiB"),
    /** The backplane is unreachable, so the session could not join its room. */
    TRY_AGAIN_LATER(1013, "try again later", "chat backplane unavailable; try again later"),
    /** The {@code name} or {@code room} parameter is missing or invalid. */
    INVALID_PARAMETERS(4001, "invalid connection parameters", "invalid connection parameters"),
    /** Client and server share no sub-protocol. */
    NO_SUBPROTOCOL(4002, "no common sub-protocol", "no common sub-protocol"),
    /** The session's outbound queue overflowed or stalled: it reads slower than its rooms talk. */
    TOO_SLOW(4003, "too slow", "too slow: could not keep up with incoming messages"),
    /** Nothing was heard from the client, not even an answer to pings, for the idle timeout. */
    HEARTBEAT_TIMEOUT(4008, "no heartbeat", "no heartbeat: the connection went silent"),
    /** The remote address already holds the configured number of sessions. */
    TOO_MANY_CONNECTIONS(4009, "too many connections", "too many connections from your address"),
    /** The client kept flooding after being told it was over its rate limit. */
    RATE_LIMITED(4029, "rate limit exceeded", "too many messages: rate limit exceeded");

    /** RFC 6455 caps a close reason at 123 bytes of UTF-8. */
    public static final int MAX_REASON_BYTES = 123;

    private final int code;
    private final String title;
    private final String defaultReason;

    CloseCode(int code, String title, String defaultReason) {
        this.code = code;
        this.title = title;
        this.defaultReason = defaultReason;
    }

    public int code() {
        return code;
    }

    /** The name PROTOCOL.md's table gives the code. */
    public String title() {
        return title;
    }

    /** This code with its default reason. */
    public Close close() {
        return new Close(this, defaultReason);
    }

    /** This code with a specific reason, cut to fit the 123-byte limit. */
    public Close close(String detail) {
        return new Close(this, fitReason(detail));
    }

    /** Cuts {@code text} to at most 123 UTF-8 bytes without splitting a character. */
    public static String fitReason(String text) {
        if (text.getBytes(StandardCharsets.UTF_8).length <= MAX_REASON_BYTES) {
            return text;
        }
        StringBuilder fitted = new StringBuilder();
        int bytes = 0;
        for (int i = 0; i < text.length(); ) {
            int codePoint = text.codePointAt(i);
            int size = new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8).length;
            if (bytes + size > MAX_REASON_BYTES) {
                break;
            }
            fitted.appendCodePoint(codePoint);
            bytes += size;
            i += Character.charCount(codePoint);
        }
        return fitted.toString();
    }

    /** One close: a code from the table and the reason sent with it (at most 123 bytes). */
    public record Close(CloseCode code, String reason) {
    }
}
