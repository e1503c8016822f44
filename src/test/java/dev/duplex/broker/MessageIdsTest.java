package dev.duplex.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class MessageIdsTest {

    @Test
    void idsAreFixedWidthAndIncreaseEvenWhenTheClockStandsStill() {
        MessageIds ids = new MessageIds(Clock.fixed(Instant.parse("2026-11-22T10:00:00Z"), ZoneOffset.UTC));
        String previous = ids.next();
        assertEquals(MessageIds.WIDTH, previous.length());
        for (int i = 0; i < 10_000; i++) {
            String next = ids.next();
            assertEquals(MessageIds.WIDTH, next.length());
            assertTrue(next.compareTo(previous) > 0, next + " after " + previous);
            previous = next;
        }
    }

    @Test
    void aRestartedServerStillIssuesLargerIds() {
        Instant start = Instant.parse("2026-11-22T10:00:00Z");
        MessageIds before = new MessageIds(Clock.fixed(start, ZoneOffset.UTC));
        String last = null;
        for (int i = 0; i < 500; i++) {
            last = before.next();
        }
        MessageIds after = new MessageIds(Clock.fixed(start.plusMillis(1), ZoneOffset.UTC));
        assertTrue(after.next().compareTo(last) > 0);
    }
}
