package dev.duplex.connection;

import dev.duplex.message.CloseCode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * One connection's outbound frames, written in the order queued, one write at a time (Tomcat
 * rejects overlapping sends, and order must hold); frames that wait together go out as one batch.
 *
 * <p>Queueing never blocks, never writes and never closes: it returns a {@link Verdict}, so a
 * broadcaster holding a room's lock only queues. Sending starts with {@link #flush()}, which the
 * broadcaster calls after releasing its locks. A connection whose waiting bytes pass
 * {@code maxBytes}, or whose write has been in flight longer than the send timeout, is judged too
 * slow: nothing more is queued, what waits is dropped, and its close ({@link CloseCode#TOO_SLOW})
 * goes out after the write already in flight, from the {@code background} executor. If the close has
 * not completed a send timeout later, {@link #abortIfOverdue} drops the connection.
 *
 * <p>A new connection's queue starts held: frames queue up (the {@code welcome} first) but nothing
 * is written until {@link #activate()}, once the connection is in its room.
 */
public final class OutboundQueue {

    /** What queueing a frame did. */
    public enum Verdict {
        QUEUED,
        /** The connection is closing or closed; the frame was dropped. */
        CLOSED,
        /** This frame made the connection too slow; it is being closed with 4003. */
        TOO_SLOW
    }

    /** A write carries what waits, up to this many bytes (at least one frame). */
    static final int MAX_BATCH_BYTES = 64 * 1024;

    private static final int OPEN = 0;
    private static final int CLOSING = 1;
    private static final int CLOSED = 2;
    /** No write in flight. */
    private static final long IDLE = Long.MIN_VALUE;

    private final Transport transport;
    private final long maxBytes;
    private final long sendTimeoutNanos;
    private final Executor background;
    private final LongSupplier nanoClock;
    private final ConcurrentLinkedQueue<OutboundFrame> queue = new ConcurrentLinkedQueue<>();
    /** Counted bytes waiting or in flight. */
    private final AtomicLong pendingBytes = new AtomicLong();
    /**
     * When the write in flight started, or {@link #IDLE}. One word for both, so that nobody can
     * see a write in flight with a start time from an earlier one: that would close a healthy
     * connection as too slow.
     */
    private final AtomicLong inFlightSince = new AtomicLong(IDLE);
    private final AtomicInteger state = new AtomicInteger(OPEN);
    private final AtomicBoolean closeIssued = new AtomicBoolean();
    private final AtomicBoolean aborted = new AtomicBoolean();
    private volatile boolean held = true;
    private volatile CloseCode.Close pendingClose;
    private volatile long closingSince;

    /**
     * @param background runs the transport's close, abort and keep-alive, which may wait for the
     *                   peer, off the threads that broadcast and sweep
     */
    public OutboundQueue(Transport transport, long maxBytes, long sendTimeoutNanos, Executor background,
                         LongSupplier nanoClock) {
        this.transport = transport;
        this.maxBytes = maxBytes;
        this.sendTimeoutNanos = sendTimeoutNanos;
        this.background = background;
        this.nanoClock = nanoClock;
    }

    /** Queues a frame without writing it; {@link #flush()} starts writing. */
    public Verdict enqueue(OutboundFrame frame) {
        if (state.get() != OPEN) {
            return Verdict.CLOSED;
        }
        boolean tooSlow = stalled(nanoClock.getAsLong());
        if (!tooSlow && frame.counted() && pendingBytes.addAndGet(frame.bytes()) > maxBytes) {
            pendingBytes.addAndGet(-frame.bytes());
            tooSlow = true;
        }
        if (tooSlow) {
            close(CloseCode.TOO_SLOW.close());
            return Verdict.TOO_SLOW;
        }
        queue.add(frame);
        return Verdict.QUEUED;
    }

    /** Queues a frame and starts writing. */
    public Verdict offer(OutboundFrame frame) {
        Verdict verdict = enqueue(frame);
        if (verdict == Verdict.QUEUED) {
            flush();
        }
        return verdict;
    }

    /** Lets queued frames go out; until then nothing is written. */
    public void activate() {
        held = false;
        flush();
    }

    /**
     * Sends a keep-alive from the background executor (the WebSocket API offers pings only as a
     * blocking call) if nothing waits or is in flight. It takes the writer's turn, so frames queued
     * meanwhile wait behind it and no other thread can send it. Returns whether it did.
     */
    public boolean keepAliveIfIdle() {
        if (state.get() != OPEN || held || !queue.isEmpty() || !inFlightSince.compareAndSet(IDLE, startTime())) {
            return false;
        }
        Write write = new Write(List.of());
        runInBackground(() -> {
            transport.keepAlive(write);
            if (write.returnedBeforeResult()) {
                flush(); // completed on this thread: continue with what queued up behind it
            }
        });
        return true;
    }

    /** True when a write has been in flight for longer than the send timeout. */
    public boolean stalled(long nowNanos) {
        long since = inFlightSince.get();
        return state.get() == OPEN && since != IDLE && nowNanos - since > sendTimeoutNanos;
    }

    /** Counted bytes waiting or in flight. */
    public long pendingBytes() {
        return pendingBytes.get();
    }

    /** Whether a close was begun (or the transport reported the connection gone). */
    public boolean isClosing() {
        return state.get() != OPEN;
    }

    /**
     * Begins closing, once: drops what waits, accepts nothing more, and has the close written after
     * the write in flight, on the closer. Never blocks. Returns false when already closing.
     */
    public boolean close(CloseCode.Close close) {
        if (!state.compareAndSet(OPEN, CLOSING)) {
            return false;
        }
        pendingClose = close;
        closingSince = nanoClock.getAsLong();
        clear();
        flush();
        return true;
    }

    /**
     * Closes at once on the calling thread, without waiting for the write in flight (the container
     * orders the close after what it was handed): for shutdown, whose thread is meant to wait, and
     * which must be done before the application is gone.
     */
    public void closeNow(CloseCode.Close close) {
        if (!state.compareAndSet(OPEN, CLOSING)) {
            return;
        }
        pendingClose = close;
        closingSince = nanoClock.getAsLong();
        clear();
        if (closeIssued.compareAndSet(false, true)) {
            transport.close(close);
        }
    }

    /**
     * Aborts the connection when its close has not completed a send timeout after it began: the
     * peer is not reading, so not even a close frame gets through. Returns whether it aborted.
     */
    public boolean abortIfOverdue(long nowNanos) {
        if (state.get() != CLOSING || nowNanos - closingSince <= sendTimeoutNanos || !aborted.compareAndSet(false, true)) {
            return false;
        }
        runInBackground(transport::abort);
        return true;
    }

    /** The transport reported the connection closed: forget everything. */
    public void released() {
        state.set(CLOSED);
        clear();
    }

    private void clear() {
        OutboundFrame dropped;
        while ((dropped = queue.poll()) != null) {
            if (dropped.counted()) {
                pendingBytes.addAndGet(-dropped.bytes());
            }
        }
    }

    /**
     * Starts the next write unless one is in flight or the queue is held; once closing, issues the
     * close instead. A transport may complete a write on the calling thread; then the loop continues
     * here instead of recursing from the callback, so a long queue cannot overflow the stack.
     */
    public void flush() {
        while (true) {
            int current = state.get();
            if (current == CLOSED || (held && current == OPEN)) {
                return;
            }
            if (!inFlightSince.compareAndSet(IDLE, startTime())) {
                return; // the write in flight continues when it completes
            }
            if (state.get() != OPEN) {
                issueClose(); // keeps the in-flight mark: nothing is written after the close
                return;
            }
            List<OutboundFrame> batch = pollBatch();
            if (batch.isEmpty()) {
                inFlightSince.set(IDLE);
                if (queue.isEmpty() && state.get() == OPEN) {
                    return;
                }
                continue; // a frame or a close raced in between poll and release
            }
            Write write = new Write(batch);
            transport.write(batch, write);
            if (!write.returnedBeforeResult()) {
                return; // still in flight; its completion continues
            }
        }
    }

    private List<OutboundFrame> pollBatch() {
        OutboundFrame first = queue.poll();
        if (first == null) {
            return List.of();
        }
        OutboundFrame next = queue.peek();
        if (next == null) {
            return List.of(first); // the common case: one frame, no list to grow
        }
        List<OutboundFrame> batch = new ArrayList<>();
        batch.add(first);
        long bytes = first.bytes();
        while (next != null && bytes + next.bytes() <= MAX_BATCH_BYTES) {
            OutboundFrame taken = queue.poll();
            if (taken == null) {
                break; // a close cleared the queue meanwhile
            }
            batch.add(taken);
            bytes += taken.bytes();
            next = queue.peek();
        }
        return batch;
    }

    private void issueClose() {
        if (closeIssued.compareAndSet(false, true)) {
            CloseCode.Close close = pendingClose;
            runInBackground(() -> transport.close(close));
        }
    }

    private void runInBackground(Runnable task) {
        try {
            background.execute(task);
        } catch (RejectedExecutionException shuttingDown) {
            task.run();
        }
    }

    private long startTime() {
        long now = nanoClock.getAsLong();
        return now == IDLE ? now + 1 : now;
    }

    private final class Write implements Transport.Completion {
        private static final int PENDING = 0;
        private static final int RETURNED = 1;
        private static final int DONE_INLINE = 2;
        private final AtomicInteger progress = new AtomicInteger(PENDING);
        private final List<OutboundFrame> batch;

        Write(List<OutboundFrame> batch) {
            this.batch = batch;
        }

        @Override
        public void completed(Throwable failure) {
            long written = 0;
            for (OutboundFrame frame : batch) {
                if (frame.counted()) {
                    written += frame.bytes();
                }
            }
            pendingBytes.addAndGet(-written);
            if (failure != null) {
                // The transport reports the broken connection itself; stop writing.
                state.compareAndSet(OPEN, CLOSED);
                clear();
            }
            inFlightSince.set(IDLE);
            if (!progress.compareAndSet(PENDING, DONE_INLINE)) {
                flush();
            }
        }

        /** True when the write already completed on the calling thread, which then keeps flushing. */
        boolean returnedBeforeResult() {
            return !progress.compareAndSet(PENDING, RETURNED);
        }
    }
}
