package dev.duplex.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.duplex.connection.Connection;
import dev.duplex.connection.OutboundFrame;
import dev.duplex.connection.OutboundQueue;
import dev.duplex.connection.Transport;
import dev.duplex.message.CloseCode;
import dev.duplex.message.FrameKind;
import dev.duplex.support.TestConnections;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FanOutTest {

    private static final long AWAIT_SECONDS = 10;

    /** Records every frame and the thread that wrote it; writes complete at once unless gated. */
    private static final class ThreadRecordingTransport implements Transport {
        final List<String> sent = new CopyOnWriteArrayList<>();
        final Set<String> threads = ConcurrentHashMap.newKeySet();
        final CountDownLatch gate;

        ThreadRecordingTransport(CountDownLatch gate) {
            this.gate = gate;
        }

        @Override
        public String name() {
            return "test";
        }

        @Override
        public void write(List<OutboundFrame> frames, Completion done) {
            threads.add(Thread.currentThread().getName());
            if (gate != null) {
                try {
                    gate.await(AWAIT_SECONDS, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            frames.forEach(frame -> sent.add(frame.text()));
            done.completed(null);
        }

        @Override
        public void keepAlive(long sequence, Completion done) {
            done.completed(null);
        }

        @Override
        public void close(CloseCode.Close close) {
        }

        @Override
        public void abort() {
        }
    }

    private final List<FanOut> started = new ArrayList<>();

    @AfterEach
    void stop() {
        started.forEach(FanOut::shutdown);
    }

    private FanOut fanOut(int threads) {
        FanOut fanOut = new FanOut(threads, task -> new Thread(task, "fanout-test"));
        started.add(fanOut);
        return fanOut;
    }

    private static List<Connection> connections(int count, List<ThreadRecordingTransport> sinks, CountDownLatch gate) {
        List<Connection> connections = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ThreadRecordingTransport sink = new ThreadRecordingTransport(gate);
            sinks.add(sink);
            connections.add(TestConnections.connection("user" + i, TestConnections.protocol("chat", FrameKind.MESSAGE),
                    sink, TimeUnit.SECONDS.toNanos(AWAIT_SECONDS), Runnable::run, System::nanoTime));
        }
        return connections;
    }

    private static void broadcast(FanOut fanOut, List<Connection> connections, String text) {
        OutboundFrame frame = OutboundFrame.of(text);
        for (Connection connection : connections) {
            assertEquals(OutboundQueue.Verdict.QUEUED, connection.enqueue(frame));
        }
        fanOut.drain(connections);
    }

    private static void awaitAll(List<ThreadRecordingTransport> sinks, int frames) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(AWAIT_SECONDS);
        for (ThreadRecordingTransport sink : sinks) {
            while (sink.sent.size() < frames) {
                assertTrue(System.nanoTime() < deadline, "every frame arrives within " + AWAIT_SECONDS + " s");
                Thread.onSpinWait();
            }
        }
    }

    @Test
    void smallFanOutsAreSentOnTheCallersThread() {
        List<ThreadRecordingTransport> sinks = new ArrayList<>();
        List<Connection> connections = connections(FanOut.INLINE_UP_TO, sinks, null);
        broadcast(fanOut(2), connections, "hello");
        for (ThreadRecordingTransport sink : sinks) {
            assertEquals(List.of("hello"), sink.sent, "sent before drain returned");
            assertEquals(Set.of(Thread.currentThread().getName()), sink.threads);
        }
    }

    @Test
    void bigFanOutsAreSentByTheThreadsAndEveryRecipientKeepsTheBroadcastOrder() throws InterruptedException {
        List<ThreadRecordingTransport> sinks = new ArrayList<>();
        List<Connection> connections = connections(500, sinks, null);
        FanOut fanOut = fanOut(3);
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            expected.add("m" + i);
            broadcast(fanOut, connections, "m" + i);
        }
        awaitAll(sinks, expected.size());
        for (ThreadRecordingTransport sink : sinks) {
            assertEquals(expected, sink.sent, "queued order is sent order, whichever thread sends");
        }
        assertTrue(sinks.stream().anyMatch(s -> s.threads.contains("fanout-test")), "the threads did send");
    }

    @Test
    void whenTheThreadsFallBehindTheCallerSendsTheNextChunkItself() throws InterruptedException {
        CountDownLatch gate = new CountDownLatch(1);
        List<ThreadRecordingTransport> sinks = new ArrayList<>();
        // One thread, so each broadcast is one chunk: one held by the gated thread, four queued.
        List<Connection> connections = connections(FanOut.INLINE_UP_TO + 1, sinks, null);
        List<ThreadRecordingTransport> gatedSinks = new ArrayList<>();
        List<Connection> gated = connections(FanOut.INLINE_UP_TO + 1, gatedSinks, gate);
        FanOut fanOut = fanOut(1);
        broadcast(fanOut, gated, "blocks the thread");
        for (int i = 0; i < 4; i++) {
            broadcast(fanOut, connections, "queued " + i);
        }
        broadcast(fanOut, connections, "over the bound");
        // The queue of chunks was full, so the caller has sent "over the bound" to everyone itself,
        // behind the four queued broadcasts that each session's own queue still holds.
        for (ThreadRecordingTransport sink : sinks) {
            assertTrue(sink.threads.contains(Thread.currentThread().getName()), "the caller sent");
        }
        gate.countDown();
        awaitAll(gatedSinks, 1);
        awaitAll(sinks, 5);
        for (ThreadRecordingTransport sink : sinks) {
            assertEquals(List.of("queued 0", "queued 1", "queued 2", "queued 3", "over the bound"), sink.sent);
        }
    }

    @Test
    void withoutThreadsEverythingIsSentOnTheCallersThread() {
        List<ThreadRecordingTransport> sinks = new ArrayList<>();
        broadcast(fanOut(0), connections(300, sinks, null), "x");
        assertTrue(sinks.stream().allMatch(s -> s.sent.equals(List.of("x"))
                && s.threads.equals(Set.of(Thread.currentThread().getName()))));
    }
}
