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

class OutboundQueueTest {

    @Test
    void sendsOneAtATimeInOrder() {
        RecordingSink sink = new RecordingSink(false);
        OutboundQueue queue = new OutboundQueue(sink, 100, 10_000);
        for (int i = 0; i < 5; i++) {
            assertTrue(queue.offer("f" + i));
        }
        assertEquals(List.of("f0"), sink.sent(), "only the first is in flight");
        while (sink.completeNext()) {
            // each completion starts the next send
        }
        assertEquals(List.of("f0", "f1", "f2", "f3", "f4"), sink.sent());
        assertEquals(1, sink.maxInFlight());
        assertEquals(0, queue.queuedFrames());
    }

    @Test
    void inlineCompletionsDoNotRecurse() {
        RecordingSink sink = new RecordingSink(true);
        OutboundQueue queue = new OutboundQueue(sink, 1_000_000, Long.MAX_VALUE);
        for (int i = 0; i < 200_000; i++) {
            queue.offer("x");
        }
        assertEquals(200_000, sink.sent().size());
    }

    @Test
    void closesASlowConsumerWith4003WhenFramesPileUp() {
        RecordingSink sink = new RecordingSink(false);
        OutboundQueue queue = new OutboundQueue(sink, 3, 10_000);
        assertTrue(queue.offer("in flight"));
        assertTrue(queue.offer("q1"));
        assertTrue(queue.offer("q2"));
        assertTrue(queue.offer("q3"));
        assertNull(sink.closedWith());
        assertFalse(queue.offer("q4"), "the fourth queued frame overflows");
        assertEquals(4003, sink.closedWith().getCloseCode().getCode());
        assertTrue(queue.isClosed());
        assertFalse(queue.offer("later"));
        sink.completeNext();
        assertEquals(List.of("in flight"), sink.sent(), "nothing more is sent once closed");
    }

    @Test
    void closesASlowConsumerWhenCharactersPileUp() {
        RecordingSink sink = new RecordingSink(false);
        OutboundQueue queue = new OutboundQueue(sink, 100, 10);
        queue.offer("in flight");
        assertTrue(queue.offer("0123456789"));
        assertFalse(queue.offer("x"));
        assertEquals(4003, sink.closedWith().getCloseCode().getCode());
    }

    @Test
    void aFailedSendStopsTheQueue() {
        RecordingSink sink = new RecordingSink(false);
        OutboundQueue queue = new OutboundQueue(sink, 100, 10_000);
        queue.offer("a");
        queue.offer("b");
        sink.failNext();
        assertTrue(queue.isClosed());
        assertEquals(List.of("a"), sink.sent());
    }

    @Test
    void concurrentOffersAreAllSentExactlyOnceAndNeverOverlap() throws Exception {
        RecordingSink sink = new RecordingSink(false);
        OutboundQueue queue = new OutboundQueue(sink, 1_000_000, Long.MAX_VALUE);
        int threads = 4;
        int perThread = 5_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
        CountDownLatch offered = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            int thread = t;
            pool.submit(() -> {
                for (int i = 0; i < perThread; i++) {
                    queue.offer(thread + ":" + i);
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
