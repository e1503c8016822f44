package dev.duplex.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.duplex.support.RecordingSink;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** docs/PROTOCOL.md "Close codes" 4003: one bounded sender per session. */
class OutboundQueueTest {

    private static final long NO_TIMEOUT = Long.MAX_VALUE / 2;

    @Test
    void sendsOneAtATimeInOrder() {
        RecordingSink sink = new RecordingSink(false);
        OutboundQueue queue = new OutboundQueue(sink, 10_000, NO_TIMEOUT);
        for (int i = 0; i < 5; i++) {
            assertTrue(queue.offer(OutboundFrame.of("f" + i)));
        }
        assertEquals(List.of("f0"), sink.sent(), "only the first is in flight");
        while (sink.completeNext()) {
            // each completion starts the next send
        }
        assertEquals(List.of("f0", "f1", "f2", "f3", "f4"), sink.sent());
        assertEquals(1, sink.maxInFlight());
        assertEquals(0, queue.queuedBytes());
    }

    @Test
    void inlineCompletionsDoNotRecurse() {
        RecordingSink sink = new RecordingSink(true);
        OutboundQueue queue = new OutboundQueue(sink, Long.MAX_VALUE, NO_TIMEOUT);
        OutboundFrame frame = OutboundFrame.of("x");
        for (int i = 0; i < 200_000; i++) {
            queue.offer(frame);
        }
        assertEquals(200_000, sink.sent().size());
    }

    @Test
    void closesASlowConsumerWith4003WhenBytesPileUp() {
        RecordingSink sink = new RecordingSink(false);
        OutboundQueue queue = new OutboundQueue(sink, 10, NO_TIMEOUT);
        assertTrue(queue.offer(OutboundFrame.of("f")), "sent at once: no longer waiting");
        assertTrue(queue.offer(OutboundFrame.of("01234")));
        assertTrue(queue.offer(OutboundFrame.of("56789")));
        assertNull(sink.closedWith());
        assertFalse(queue.offer(OutboundFrame.of("x")), "the eleventh waiting byte overflows");
        assertEquals(4003, sink.closedWith().getCloseCode().getCode());
        assertTrue(queue.isClosed());
        assertFalse(queue.offer(OutboundFrame.of("later")));
        sink.completeNext();
        assertEquals(List.of("f"), sink.sent(), "nothing more is sent once closed");
    }

    @Test
    void countsUtf8BytesNotCharacters() {
        assertEquals(1 + 2 + 3 + 4, OutboundFrame.of("a\u00e9\u4e2d\uD83D\uDE00").bytes());
        RecordingSink sink = new RecordingSink(false);
        OutboundQueue queue = new OutboundQueue(sink, 8, NO_TIMEOUT);
        queue.offer(OutboundFrame.of("f"));
        assertTrue(queue.offer(OutboundFrame.of("\u4e2d\u4e2d")), "6 bytes fit in 8");
        assertFalse(queue.offer(OutboundFrame.of("\u4e2d")), "9 bytes do not");
    }

    @Test
    void uncountedReplayFramesNeverOverflow() {
        RecordingSink sink = new RecordingSink(false);
        OutboundQueue queue = new OutboundQueue(sink, 10, NO_TIMEOUT);
        queue.offer(OutboundFrame.of("f"));
        for (int i = 0; i < 100; i++) {
            assertTrue(queue.offer(new OutboundFrame("a replayed message", 0)));
        }
        assertTrue(queue.offer(OutboundFrame.of("live")));
        assertNull(sink.closedWith());
    }

    @Test
    void closesASessionWhoseSendStalledPastTheTimeout() throws Exception {
        RecordingSink sink = new RecordingSink(false);
        OutboundQueue queue = new OutboundQueue(sink, 10_000, TimeUnit.MILLISECONDS.toNanos(1));
        queue.offer(OutboundFrame.of("never completes"));
        long start = System.nanoTime();
        while (!queue.stalled(System.nanoTime())) {
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "stalls after 1 ms");
            Thread.onSpinWait();
        }
        assertFalse(queue.offer(OutboundFrame.of("next")));
        assertEquals(4003, sink.closedWith().getCloseCode().getCode());
    }

    @Test
    void pingsOnlyAnIdleQueue() {
        RecordingSink sink = new RecordingSink(false);
        OutboundQueue queue = new OutboundQueue(sink, 10_000, NO_TIMEOUT);
        assertTrue(queue.pingIfIdle());
        assertFalse(queue.pingIfIdle(), "the first ping is still in flight");
        sink.completeNext();
        queue.offer(OutboundFrame.of("busy"));
        assertFalse(queue.pingIfIdle());
        assertEquals(List.of(RecordingSink.PING, "busy"), sink.sent());
    }

    @Test
    void aFailedSendStopsTheQueue() {
        RecordingSink sink = new RecordingSink(false);
        OutboundQueue queue = new OutboundQueue(sink, 10_000, NO_TIMEOUT);
        queue.offer(OutboundFrame.of("a"));
        queue.offer(OutboundFrame.of("b"));
        sink.failNext();
        assertTrue(queue.isClosed());
        assertEquals(List.of("a"), sink.sent());
    }

    @Test
    void aSendThatJustStartedNeverLooksStalledToAnotherThreadEvenAfterALongIdle() throws Exception {
        long timeout = TimeUnit.MILLISECONDS.toNanos(50);
        int queues = 300;
        List<OutboundQueue> idle = new ArrayList<>();
        for (int i = 0; i < queues; i++) {
            OutboundQueue queue = new OutboundQueue(new RecordingSink(true), Long.MAX_VALUE, timeout);
            assertTrue(queue.offer(OutboundFrame.of("earlier")));
            idle.add(queue);
        }
        Thread.sleep(TimeUnit.NANOSECONDS.toMillis(timeout) * 2); // every last send is now older than the timeout
        // One thread starts a send while another keeps asking whether the queue is stalled, as a
        // publisher queuing the next frame does: it must never see the new send with the old one's
        // start time.
        ExecutorService pool = Executors.newFixedThreadPool(1);
        int stalls = 0;
        try {
            for (OutboundQueue queue : idle) {
                java.util.concurrent.atomic.AtomicBoolean sent = new java.util.concurrent.atomic.AtomicBoolean();
                CountDownLatch watching = new CountDownLatch(1);
                var sender = pool.submit(() -> {
                    watching.await(10, TimeUnit.SECONDS);
                    queue.offer(OutboundFrame.of("now"));
                    sent.set(true);
                    return null;
                });
                watching.countDown();
                while (!sent.get()) {
                    stalls += queue.stalled(System.nanoTime()) ? 1 : 0;
                }
                sender.get(10, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(0, stalls, "a healthy session looked too slow");
    }

    @Test
    void concurrentOffersAreAllSentExactlyOnceAndNeverOverlap() throws Exception {
        RecordingSink sink = new RecordingSink(false);
        OutboundQueue queue = new OutboundQueue(sink, Long.MAX_VALUE, NO_TIMEOUT);
        int threads = 4;
        int perThread = 5_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
        CountDownLatch offered = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            int thread = t;
            pool.submit(() -> {
                for (int i = 0; i < perThread; i++) {
                    queue.offer(OutboundFrame.of(thread + ":" + i));
                }
                offered.countDown();
            });
        }
        // The peer completes sends concurrently with the offers.
        pool.submit(() -> {
            while (offered.getCount() > 0 || sink.completeNext()) {
                sink.completeNext();
            }
        });
        assertTrue(offered.await(30, TimeUnit.SECONDS));
        pool.shutdown();
        assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
        while (sink.completeNext()) {
            // drain what the last offers queued
        }
        List<String> sent = sink.sent();
        assertEquals(threads * perThread, sent.size());
        assertEquals(1, sink.maxInFlight());
        for (int t = 0; t < threads; t++) {
            List<Integer> order = new ArrayList<>();
            for (String frame : sent) {
                if (frame.startsWith(t + ":")) {
                    order.add(Integer.parseInt(frame.substring(frame.indexOf(':') + 1)));
                }
            }
            for (int i = 0; i < perThread; i++) {
                assertEquals(i, order.get(i), "thread " + t + " frames stay in order");
            }
        }
    }
}
