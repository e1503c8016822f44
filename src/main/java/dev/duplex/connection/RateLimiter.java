package dev.duplex.connection;

/**
 * A token bucket for one session's inbound frames: {@code burst} frames at once, refilled at
 * {@code perSecond}. A frame over the limit is refused with a retry hint; a client that keeps
 * going for another {@code burst} refused frames in a row is disconnected.
 */
public final class RateLimiter {

    public enum Verdict { ALLOW, REFUSE, DISCONNECT }

    private final double perNano;
    private final int burst;
    private double tokens;
    private long lastRefill;
    private int refusedInARow;

    RateLimiter(int perSecond, int burst, long nowNanos) {
        this.perNano = perSecond / 1e9;
        this.burst = burst;
        this.tokens = burst;
        this.lastRefill = nowNanos;
    }

    /** Takes a token for one inbound frame. */
    synchronized Verdict take(long nowNanos) {
        tokens = Math.min(burst, tokens + (nowNanos - lastRefill) * perNano);
        lastRefill = nowNanos;
        if (tokens >= 1) {
            tokens -= 1;
            refusedInARow = 0;
            return Verdict.ALLOW;
        }
        return ++refusedInARow > burst ? Verdict.DISCONNECT : Verdict.REFUSE;
    }

    /** Milliseconds until the next frame would be allowed. */
    synchronized long retryAfterMillis() {
        return Math.max(1, (long) Math.ceil((1 - tokens) / perNano / 1e6));
    }
}
