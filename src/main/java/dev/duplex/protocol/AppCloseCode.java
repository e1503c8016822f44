package dev.duplex.protocol;

import jakarta.websocket.CloseReason;
import java.nio.charset.StandardCharsets;

/**
 * The application close codes Duplex sends, each with the reason it gives
 * (docs/PROTOCOL.md, "Close codes"). Standard codes (1000, 1001, 1009, ...) come from
 * {@link CloseReason.CloseCodes}.
 */
public enum AppCloseCode implements CloseReason.CloseCode {
    /** The {@code name} or {@code room} query parameter is missing or invalid. */
    INVALID_PARAMETERS(4001, "invalid connection parameters"),
    /** Client and server share no sub-protocol. */
    NO_SUBPROTOCOL(4002, "no common sub-protocol"),
    /** The session's outbound queue overflowed or stalled: it reads slower than its rooms talk. */
    TOO_SLOW(4003, "too slow: could not keep up with incoming messages"),
    /** Nothing was heard from the client, not even an answer to pings, for the idle timeout. */
    HEARTBEAT_TIMEOUT(4008, "no heartbeat: the connection went silent"),
    /** The remote address already holds the configured number of sessions. */
    TOO_MANY_CONNECTIONS(4009, "too many connections from your address"),
    /** The client kept flooding after being told it was over its rate limit. */
    RATE_LIMITED(4029, "too many messages: rate limit exceeded");

    /**
     * The standard 1009 close for a frame over 64 KiB, which Duplex sends itself where the
     * container does not enforce the limit (Undertow, Open Liberty).
     */
    public static final CloseReason FRAME_TOO_BIG =
            new CloseReason(CloseReason.CloseCodes.TOO_BIG, "frame larger than 64 KiB");

    /** RFC 6455 caps a close reason at 123 bytes of UTF-8. */
    public static final int MAX_REASON_BYTES = 123;

    private final int code;
    private final String defaultReason;

    AppCloseCode(int code, String defaultReason) {
        this.code = code;
        this.defaultReason = defaultReason;
    }

    @Override
    public int getCode() {
        return code;
    }

    /** This code with its default reason. */
    public CloseReason reason() {
        return new CloseReason(this, defaultReason);
    }

    /** This code with a specific reason, cut to fit the 123-byte limit. */
    public CloseReason reason(String detail) {
        return new CloseReason(this, fitReason(detail));
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
}
