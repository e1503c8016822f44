package dev.duplex.connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.duplex.connection.OutboundQueue.Verdict;
import dev.duplex.message.CloseCode;
import dev.duplex.support.FakeClock;
import dev.duplex.support.ManualExecutor;
import dev.duplex.support.RecordingTransport;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** docs/PROTOCOL.md "Slow consumers" and close code 4003: one bounded writer per connection. */
class OutboundQueueTest {

    private static final long TIMEOUT = TimeUnit.SECONDS.toNanos(10);

    private final FakeClock clock = new FakeClock();
    private final ManualExecutor background = new ManualExecutor();

    private OutboundQueue queue(RecordingTransport transport, long maxBytes) {
        OutboundQueue queue = new OutboundQueue(transport, maxBytes, TIMEOUT, background, clock);
        queue.activate();
        return queue;
    }

    @Test
    void writesOneBatchAtATimeInOrder() {
        RecordingTransport transport = new RecordingTransport(false);
        OutboundQueue queue = queue(transport, 10_000);
        assertEquals(Verdict.QUEUED, queue.offer(OutboundFrame.of("f0")));
        for (int i = 1; i < 5; i++) {
            assertEquals(Verdict.QUEUED, queue.offer(OutboundFrame.of("f" + i)));
        }
        assertEquals(List.of("f0"), transport.sent(), "only the first is in flight");
        transport.completeNext();
        assertEquals(List.of("f0", "f1", "f2", "f3", "f4"), transport.sent());
        assertEquals(List.of(1, 4), transport.batchSizes(), "the frames that waited together went out in one write");
        assertEquals(1, transport.maxInFlight());
        transport.completeNext();
        assertEquals(0, queue.pendingBytes());
    }

    @Test
    void aBatchStopsAtItsByteBound() {
        RecordingTransport transport = new RecordingTransport(false);
        OutboundQueue queue = queue(transport, Long.MAX_VALUE);
        queue.offer(OutboundFrame.of("first"));
        String big = "x".repeat(OutboundQueue.MAX_BATCH_BYTES / 2);
        for (int i = 0; i < 3; i++) {
            queue.offer(OutboundFrame.of(big));
        }
        transport.completeNext();
        transport.completeNext();
        assertEquals(List.of(1, 2, 1), transport.batchSizes());
    }

    @Test
    void inlineCompletionsDoNotRecurse() {
        RecordingTransport transport = new RecordingTransport(true);
        OutboundQueue queue = queue(transport, Long.MAX_VALUE);
        OutboundFrame frame = OutboundFrame.of("x");
        for (int i = 0; i < 200_000; i++) {
            queue.offer(frame);
        }
        assertEquals(200_000, transport.sent().size());
    }

    @Test
    void nothingIsWrittenUntilActivated() {
        RecordingTransport transport = new RecordingTransport(true);
        OutboundQueue queue = new OutboundQueue(transport, 10_000, TIMEOUT, background, clock);
        queue.enqueue(OutboundFrame.of("welcome"));
        assertEquals(Verdict.QUEUED, queue.offer(OutboundFrame.of("a notice")));
        assertEquals(List.of(), transport.sent(), "held: the welcome must go first, once the session is in its room");
        queue.activate();
        assertEquals(List.of("welcome", "a notice"), transport.sent());
    }

    @Test
    void aSlowConsumerIsToldSoAndClosedOffTheQueueingThreadAfterTheWriteInFlight() {
        RecordingTransport transport = new RecordingTransport(false);
        OutboundQueue queue = queue(transport, 10);
        assertEquals(Verdict.QUEUED, queue.offer(OutboundFrame.of("f")), "in flight");
        assertEquals(Verdict.QUEUED, queue.offer(OutboundFrame.of("01234")));
        assertEquals(Verdict.QUEUED, queue.offer(OutboundFrame.of("5678")));
        assertEquals(Verdict.TOO_SLOW, queue.offer(OutboundFrame.of("xy")), "the eleventh pending byte overflows");
        assertEquals(Verdict.CLOSED, queue.offer(OutboundFrame.of("later")), "nothing more is queued");
        assertTrue(queue.isClosing());
        assertNull(transport.closedWith(), "the queueing thread never closes");
        assertEquals(0, background.runAll(), "and the close waits for the write in flight");
        transport.completeNext();
        assertNull(transport.closedWith());
        background.runAll();
        assertEquals(CloseCode.TOO_SLOW, transport.closedWith().code());
        assertEquals(List.of("f"), transport.sent(), "what waited is dropped; the close follows what was written");
    }

    @Test
    void aCloseThePeerDoesNotTakeWithinTheSendTimeoutAborts() {
        RecordingTransport transport = new RecordingTransport(false);
        OutboundQueue queue = queue(transport, 10_000);
        queue.offer(OutboundFrame.of("never completes"));
        queue.close(CloseCode.TOO_SLOW.close());
        clock.advance(10, TimeUnit.SECONDS);
        assertFalse(queue.abortIfOverdue(clock.getAsLong()), "exactly the timeout is not overdue");
        clock.advance(1, TimeUnit.MILLISECONDS);
        assertTrue(queue.abortIfOverdue(clock.getAsLong()));
        assertFalse(transport.aborted(), "aborts run off the sweeping thread");
        background.runAll();
        assertTrue(transport.aborted());
        assertFalse(queue.abortIfOverdue(clock.getAsLong()), "once");
    }

    @Test
    void aReleasedConnectionIsNeverAborted() {
        RecordingTransport transport = new RecordingTransport(true);
        OutboundQueue queue = queue(transport, 10_000);
        queue.close(CloseCode.GOING_AWAY.close());
        background.runAll();
        queue.released();
        clock.advance(1, TimeUnit.HOURS);
        assertFalse(queue.abortIfOverdue(clock.getAsLong()));
    }

    @Test
    void countsUtf8BytesNotCharacters() {
        assertEquals(1 + 2 + 3 + 4, OutboundFrame.of("a\u00e9\u4e2d\uD83D\uDE00").bytes());
        RecordingTransport transport = new RecordingTransport(false);
        OutboundQueue queue = queue(transport, 9);
        queue.offer(OutboundFrame.of("f"));
        assertEquals(Verdict.QUEUED, queue.offer(OutboundFrame.of("\u4e2d\u4e2d")), "1 + 6 bytes fit in 9");
        assertEquals(Verdict.TOO_SLOW, queue.offer(OutboundFrame.of("\u4e2d")), "1 + 9 bytes do not");
    }

    @Test
    void uncountedReplayFramesNeverOverflow() {
        RecordingTransport transport = new RecordingTransport(false);
        OutboundQueue queue = queue(transport, 10);
        queue.offer(OutboundFrame.of("f"));
        for (int i = 0; i < 100; i++) {
            assertEquals(Verdict.QUEUED, queue.offer(OutboundFrame.uncounted("a replayed message")));
        }
        assertEquals(Verdict.QUEUED, queue.offer(OutboundFrame.of("live")));
        assertFalse(queue.isClosing());
    }

    @Test
    void aWriteStalledPastTheTimeoutMakesTheNextFrameTooSlow() {
        RecordingTransport transport = new RecordingTransport(false);
        OutboundQueue queue = queue(transport, 10_000);
        queue.offer(OutboundFrame.of("never completes"));
        clock.advance(10, TimeUnit.SECONDS);
        assertFalse(queue.stalled(clock.getAsLong()));
        clock.advance(1, TimeUnit.MILLISECONDS);
        assertTrue(queue.stalled(clock.getAsLong()));
        assertEquals(Verdict.TOO_SLOW, queue.offer(OutboundFrame.of("next")));
    }

    @Test
    void keepAlivesGoOnlyToAnIdleQueueAndFromTheBackground() {
        RecordingTransport transport = new RecordingTransport(false);
        OutboundQueue queue = queue(transport, 10_000);
        assertTrue(queue.keepAliveIfIdle());
        assertEquals(List.of(), transport.sent(), "the sweeping thread never writes");
        background.runAll();
        assertEquals(List.of(RecordingTransport.PING), transport.sent());
        assertFalse(queue.keepAliveIfIdle(), "the first is still in flight");
        transport.completeNext();
        queue.offer(OutboundFrame.of("busy"));
        assertFalse(queue.keepAliveIfIdle());
        assertEquals(List.of(RecordingTransport.PING, "busy"), transport.sent());
    }

    @Test
    void aFrameQueuedWhileAKeepAliveWaitsForTheBackgroundGoesOutAfterItAndNeverSendsIt() {
        RecordingTransport transport = new RecordingTransport(true);
        OutboundQueue queue = queue(transport, 10_000);
        assertTrue(queue.keepAliveIfIdle());
        assertEquals(Verdict.QUEUED, queue.offer(OutboundFrame.of("broadcast")));
        assertEquals(List.of(), transport.sent(), "the broadcasting thread neither pings nor overtakes the ping");
        background.runAll();
        assertEquals(List.of(RecordingTransport.PING, "broadcast"), transport.sent());
    }

    private static long frames(RecordingTransport transport) {
        return transport.sent().stream().filter(f -> !f.equals(RecordingTransport.PING)).count();
    }

    // Tyrus: a completion means only that Grizzly took the frame, and Grizzly holds megabytes.
    @Test
    void whereOnlyAnswersConfirmNoMoreThanTheBufferAndTheKernelsShareIsEverHandedOver() {
        RecordingTransport transport = RecordingTransport.confirmedByAnswers(100);
        OutboundQueue queue = queue(transport, 400);
        String replayed = "r".repeat(90); // uncounted, so only the bound on what is handed over holds them
        for (int i = 0; i < 6; i++) {
            assertEquals(Verdict.QUEUED, queue.offer(OutboundFrame.uncounted(replayed)));
        }
        assertEquals(5, frames(transport), "450 unconfirmed bytes fit in 400 + 100; the sixth would make 540");
        assertEquals(List.of(1L, 2L, 3L), transport.keepAlives(), "asked every quarter of the buffer, and at the bound");
        queue.keepAliveAnswered(2);
        assertEquals(6, frames(transport), "the answer confirmed 360 bytes: the sixth goes");

        RecordingTransport counted = RecordingTransport.confirmedByAnswers(100);
        OutboundQueue live = queue(counted, 400);
        String frame = "x".repeat(90);
        for (int i = 0; i < 5; i++) {
            assertEquals(Verdict.QUEUED, live.offer(OutboundFrame.of(frame)), "frame " + i);
        }
        assertEquals(Verdict.TOO_SLOW, live.offer(OutboundFrame.of(frame)),
                "90 waiting + (450 unconfirmed - the 100 the kernel may hold) > 400");
        assertEquals(5, frames(counted));
    }

    @Test
    void anAnswerConfirmsWhatCameBeforeItsKeepAliveAndLetsMoreWait() {
        RecordingTransport transport = RecordingTransport.confirmedByAnswers(0);
        OutboundQueue queue = queue(transport, 400);
        String frame = "x".repeat(100);
        for (int i = 0; i < 4; i++) {
            assertEquals(Verdict.QUEUED, queue.offer(OutboundFrame.of(frame)));
        }
        assertEquals(List.of(1L, 2L, 3L, 4L), transport.keepAlives(), "one after every quarter of the buffer");
        assertEquals(400, queue.pendingBytes(), "handed over, but nothing confirmed");
        queue.keepAliveAnswered(-1);
        assertEquals(400, queue.pendingBytes(), "a pong that answers none of ours confirms nothing");
        queue.keepAliveAnswered(3);
        assertEquals(100, queue.pendingBytes(), "the answer to the third confirms the 300 bytes before it");
        assertEquals(Verdict.QUEUED, queue.offer(OutboundFrame.of(frame)));
        assertEquals(5, frames(transport));
    }

    @Test
    void whereOnlyAnswersConfirmTheCloseWaitsForTheAnswerAndAnUnansweredKeepAliveStalls() {
        RecordingTransport transport = RecordingTransport.confirmedByAnswers(0);
        OutboundQueue queue = queue(transport, 400);
        queue.offer(OutboundFrame.of("x".repeat(100)));
        queue.close(CloseCode.TOO_SLOW.close());
        background.runAll();
        assertNull(transport.closedWith(), "the peer has not read what it was handed yet");
        long asked = transport.keepAlives().get(transport.keepAlives().size() - 1);
        queue.keepAliveAnswered(asked);
        background.runAll();
        assertEquals(CloseCode.TOO_SLOW, transport.closedWith().code(), "now the close follows it");

        RecordingTransport silent = RecordingTransport.confirmedByAnswers(0);
        OutboundQueue stalling = queue(silent, 400);
        stalling.offer(OutboundFrame.of("x".repeat(100)));
        stalling.offer(OutboundFrame.of("x".repeat(100)));
        assertFalse(stalling.stalled(clock.getAsLong()));
        clock.advance(TIMEOUT + 1, TimeUnit.NANOSECONDS);
        assertTrue(stalling.stalled(clock.getAsLong()), "a keep-alive covering unconfirmed bytes went unanswered");
    }

    @Test
    void aFailedWriteStopsTheQueue() {
        RecordingTransport transport = new RecordingTransport(false);
        OutboundQueue queue = queue(transport, 10_000);
        queue.offer(OutboundFrame.of("a"));
        queue.offer(OutboundFrame.of("b"));
        transport.failNext();
        assertTrue(queue.isClosing());
        assertEquals(List.of("a"), transport.sent());
    }

    @Test
    void aWriteThatJustStartedNeverLooksStalledToAnotherThreadEvenAfterALongIdle() throws Exception {
        int queues = 300;
        List<OutboundQueue> idle = new ArrayList<>();
        for (int i = 0; i < queues; i++) {
            OutboundQueue queue = queue(new RecordingTransport(true), Long.MAX_VALUE);
            assertEquals(Verdict.QUEUED, queue.offer(OutboundFrame.of("earlier")));
            idle.add(queue);
        }
        clock.advance(1, TimeUnit.MINUTES); // every last write is now older than the timeout
        // One thread starts a write while another keeps asking whether the queue is stalled, as a
        // publisher queueing the next frame does: it must never see the new write with the old
        // one's start time.
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
                    stalls += queue.stalled(clock.getAsLong()) ? 1 : 0;
                }
                sender.get(10, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(0, stalls, "a healthy connection looked too slow");
    }

    @Test
    void concurrentOffersAreAllSentExactlyOnceAndNeverOverlap() throws Exception {
        RecordingTransport transport = new RecordingTransport(false);
        OutboundQueue queue = queue(transport, Long.MAX_VALUE);
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
        // The peer completes writes concurrently with the offers.
        pool.submit(() -> {
            while (offered.getCount() > 0 || transport.completeNext()) {
                transport.completeNext();
            }
        });
        assertTrue(offered.await(30, TimeUnit.SECONDS));
        pool.shutdown();
        assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
        while (transport.completeNext()) {
            // drain what the last offers queued
        }
        List<String> sent = transport.sent();
        assertEquals(threads * perThread, sent.size());
        assertEquals(1, transport.maxInFlight());
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
