package dev.duplex.connection;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** docs/PROTOCOL.md "Rate limits". */
class RateLimiterTest {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @Test
    void allowsABurstThenTheRate() {
        RateLimiter limiter = new RateLimiter(10, 5, 0);
        for (int i = 0; i < 5; i++) {
            assertEquals(RateLimiter.Verdict.ALLOW, limiter.take(0));
        }
        assertEquals(RateLimiter.Verdict.REFUSE, limiter.take(0));
        assertEquals(100, limiter.retryAfterMillis(), "one token per 100 ms at 10/s");
        assertEquals(RateLimiter.Verdict.ALLOW, limiter.take(SECOND / 10));
        assertEquals(RateLimiter.Verdict.REFUSE, limiter.take(SECOND / 10));
    }

    @Test
    void refillsUpToTheBurstOnly() {
        RateLimiter limiter = new RateLimiter(10, 3, 0);
        for (int i = 0; i < 3; i++) {
            limiter.take(0);
        }
        long later = 100 * SECOND;
        for (int i = 0; i < 3; i++) {
            assertEquals(RateLimiter.Verdict.ALLOW, limiter.take(later));
        }
        assertEquals(RateLimiter.Verdict.REFUSE, limiter.take(later));
    }

    @Test
    void disconnectsAClientThatKeepsGoingAfterABurstOfRefusals() {
        RateLimiter limiter = new RateLimiter(1, 2, 0);
        limiter.take(0);
        limiter.take(0);
        assertEquals(RateLimiter.Verdict.REFUSE, limiter.take(0));
        assertEquals(RateLimiter.Verdict.REFUSE, limiter.take(0));
        assertEquals(RateLimiter.Verdict.DISCONNECT, limiter.take(0));
    }

    @Test
    void anAllowedFrameForgivesEarlierRefusals() {
        RateLimiter limiter = new RateLimiter(1, 2, 0);
        limiter.take(0);
        limiter.take(0);
        limiter.take(0);
        limiter.take(0);
        assertEquals(RateLimiter.Verdict.ALLOW, limiter.take(SECOND));
        assertEquals(RateLimiter.Verdict.REFUSE, limiter.take(SECOND));
        assertEquals(RateLimiter.Verdict.REFUSE, limiter.take(SECOND));
        assertEquals(RateLimiter.Verdict.DISCONNECT, limiter.take(SECOND));
    }
}
