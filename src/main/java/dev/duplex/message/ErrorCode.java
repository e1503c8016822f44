package dev.duplex.message;

/**
 * The stable codes of {@code error} frames and notice API errors (docs/PROTOCOL.md, "Error codes").
 * Clients branch on {@link #wire()}, so a code, once published, never changes meaning.
 */
public enum ErrorCode {
    BAD_JSON("bad-json"),
    BAD_FRAME("bad-frame"),
    UNKNOWN_TYPE("unknown-type"),
    BLANK_TEXT("blank-text"),
    TOO_LONG("too-long"),
    BINARY_UNSUPPORTED("binary-unsupported"),
    INVALID_ROOM("invalid-room"),
    NOT_JOINED("not-joined"),
    ALREADY_JOINED("already-joined"),
    TOO_MANY_ROOMS("too-many-rooms"),
    NO_SUCH_USER("no-such-user"),
    HISTORY_GAP("history-gap"),
    RATE_LIMITED("rate-limited"),
    /** Clustered nodes only: the backplane (Redis) is unreachable, nothing was stored or sent. */
    UNAVAILABLE("unavailable");

    private final String wire;

    ErrorCode(String wire) {
        this.wire = wire;
    }

    /** The kebab-case code as it appears in the {@code code} field. */
    public String wire() {
        return wire;
    }
}
