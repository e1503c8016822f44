package dev.duplex.broker;

import java.time.Clock;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Message ids: 16 decimal digits, so that string order is numeric order. Each id is the larger of
 * "one more than the last" and "now in microseconds", which keeps ids increasing across restarts
 * of the server without any stored counter.
 */
public final class MessageIds {

    static final int WIDTH = 16;

    private final Clock clock;
    private final AtomicLong last = new AtomicLong();

    public MessageIds(Clock clock) {
        this.clock = clock;
    }

    public String next() {
        long floor = clock.millis() * 1000;
        long id = last.updateAndGet(previous -> Math.max(previous + 1, floor));
        String digits = Long.toString(id);
        return "0".repeat(Math.max(0, WIDTH - digits.length())) + digits;
    }
}
