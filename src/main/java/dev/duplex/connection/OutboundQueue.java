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
 * <p>Bytes <em>wait</em> for a connection from the moment they are queued until they are known
 * written: queued here, or handed to the transport and not yet confirmed. Where a completed write
 * means written (Tomcat), its completion confirms; where it does not (Tyrus, whose completions mean
 * taken into Grizzly's queue), a keep-alive follows every quarter of {@code maxBytes} handed over
 * and the peer's answer confirms everything before it. Answers confirm only what the peer read, so
 * there the bounds also allow for the kernel's socket buffer ({@link Transport#kernelBufferBytes()}).
 * The transport is never handed a batch that would leave more than {@code maxBytes} (plus that
 * allowance) unconfirmed, replays included.
 *
 * <p>Queueing never blocks, never writes and never closes: it returns a {@link Verdict}, so a
 * broadcaster holding a room's lock only queues. Sending starts with {@link #flush()}, which the
 * broadcaster calls after releasing its locks. A frame that would let more than {@code maxBytes} of
 * counted bytes wait, or that finds a write (or a confirming keep-alive) unanswered for longer than
 * the send timeout, is the too-slow verdict: nothing more is queued, what waits here is dropped,
 * and the close ({@link CloseCode#TOO_SLOW}) goes out from the {@code background} executor once
 * what was handed over is confirmed, so that it follows it. If the close has not gone through a
 * send timeout after the verdict, {@link #abortIfOverdue} drops the connection.
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
    /** Whether only answered keep-alives confirm bytes as written. */
    private final boolean answersConfirm;
    /** What the kernel may hold unconfirmed where answers confirm; not held against the connection. */
    private final long kernelBytes;
    /** Bytes handed over between confirming keep-alives: a peer that keeps up is asked before the bound stops us. */
    private final long confirmEvery;

    private final ConcurrentLinkedQueue<OutboundFrame> queue = new ConcurrentLinkedQueue<>();
    /** Counted bytes waiting in the queue. */
    private final AtomicLong queuedBytes = new AtomicLong();
    /**
     * When the write in flight started, or {@link #IDLE}; whoever sets it from IDLE is the
     * connection's one writer until it is IDLE again. One word for both, so that nobody can see a
     * write in flight with a start time from an earlier one: that would close a healthy connection
     * as too slow.
     */
    private final AtomicLong inFlightSince = new AtomicLong(IDLE);
    /** Bytes handed to the transport since the connection opened, all and counted; only the writer adds. */
    private final AtomicLong handed = new AtomicLong();
    private final AtomicLong handedCounted = new AtomicLong();
    /** The prefix of {@link #handed} (and its counted part) known written. */
    private final AtomicLong confirmed = new AtomicLong();
    private final AtomicLong confirmedCounted = new AtomicLong();
    /** Keep-alives not answered yet, oldest first (where answers confirm). */
    private final ConcurrentLinkedQueue<KeepAlive> unanswered = new ConcurrentLinkedQueue<>();
    private final AtomicLong keepAliveSequence = new AtomicLong();
    /** How much of {@link #handed} the latest keep-alive covers; only the writer sets it. */
    private volatile long askedUpTo;
    /**
     * When the oldest unanswered keep-alive that covers more than the kernel's share beyond what
     * is confirmed was sent, or {@link #IDLE}: what the stall check reads on every frame queued,
     * without walking the list. A keep-alive that covers less is no stall: where completions mean
     * written, the kernel's buffer would have taken that much too.
     */
    private volatile long askedSince = IDLE;
    private final AtomicInteger state = new AtomicInteger(OPEN);
    private final AtomicBoolean closeIssued = new AtomicBoolean();
    private final AtomicBoolean aborted = new AtomicBoolean();
    private volatile boolean held = true;
    private volatile CloseCode.Close pendingClose;
    private volatile long closingSince;

    /** A keep-alive sent after {@code handed} bytes ({@code counted} of them counted). */
    private record KeepAlive(long sequence, long handed, long counted, long sentNanos) {
    }

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
        this.answersConfirm = !transport.completionMeansWritten();
        this.kernelBytes = answersConfirm ? transport.kernelBufferBytes() : 0;
        this.confirmEvery = Math.max(1, maxBytes / 4);
    }

    /** Queues a frame without writing it; {@link #flush()} starts writing. */
    public Verdict enqueue(OutboundFrame frame) {
        if (state.get() != OPEN) {
            return Verdict.CLOSED;
        }
        boolean tooSlow = stalled(nanoClock.getAsLong());
        if (!tooSlow && frame.counted()) {
            long waiting = queuedBytes.addAndGet(frame.bytes()) + Math.max(0, unconfirmedCounted() - kernelBytes);
            if (waiting > maxBytes) {
                queuedBytes.addAndGet(-frame.bytes());
                tooSlow = true;
            }
        }
        if (tooSlow) {
            return close(CloseCode.TOO_SLOW.close()) ? Verdict.TOO_SLOW : Verdict.CLOSED;
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
     * blocking call) if nothing waits, is in flight or is unanswered. It takes the writer's turn, so
     * frames queued meanwhile wait behind it and no other thread can send it. Returns whether it did.
     */
    public boolean keepAliveIfIdle() {
        if (state.get() != OPEN || held || !queue.isEmpty() || !unanswered.isEmpty()
                || !inFlightSince.compareAndSet(IDLE, startTime())) {
            return false;
        }
        Write write = new Write(handed.get(), handedCounted.get());
        runInBackground(() -> {
            transport.keepAlive(nextKeepAlive(), write);
            if (write.returnedBeforeResult()) {
                flush(); // completed on this thread: continue with what queued up behind it
            }
        });
        return true;
    }

    /**
     * The peer answered keep-alive {@code sequence} (negative: not one of ours). Where answers
     * confirm, it confirms everything handed over before it, and before any earlier one: a peer may
     * answer only the latest.
     */
    public void keepAliveAnswered(long sequence) {
        if (!answersConfirm || sequence < 0) {
            return;
        }
        KeepAlive answered = null;
        for (KeepAlive oldest = unanswered.peek(); oldest != null && oldest.sequence() <= sequence;
                oldest = unanswered.peek()) {
            unanswered.poll();
            answered = oldest;
        }
        if (answered == null) {
            return;
        }
        long written = confirmed.accumulateAndGet(answered.handed(), Math::max);
        confirmedCounted.accumulateAndGet(answered.counted(), Math::max);
        long since = IDLE;
        for (KeepAlive waiting : unanswered) {
            if (waiting.handed() > written + kernelBytes) {
                since = waiting.sentNanos();
                break;
            }
        }
        askedSince = since;
        if (state.get() == OPEN) {
            flush();
        } else {
            closeIfDrained();
        }
    }

    /**
     * True when a write has been in flight for longer than the send timeout, or a keep-alive that
     * asks the peer to confirm more than the kernel's share of bytes has gone unanswered that long.
     */
    public boolean stalled(long nowNanos) {
        if (state.get() != OPEN) {
            return false;
        }
        long since = inFlightSince.get();
        long asked = askedSince;
        return since != IDLE && nowNanos - since > sendTimeoutNanos
                || asked != IDLE && nowNanos - asked > sendTimeoutNanos;
    }

    /** Counted bytes waiting: queued, or handed over and not confirmed. */
    public long pendingBytes() {
        return queuedBytes.get() + unconfirmedCounted();
    }

    /** Bytes handed to the transport and not confirmed written, replays included. */
    public long unconfirmedBytes() {
        return handed.get() - confirmed.get();
    }

    private long unconfirmedCounted() {
        return handedCounted.get() - confirmedCounted.get();
    }

    /** Whether a close was begun (or the transport reported the connection gone). */
    public boolean isClosing() {
        return state.get() != OPEN;
    }

    /**
     * Begins closing, once: drops what waits, accepts nothing more, and has the close written, on
     * the background executor, once what was handed over is confirmed. Never blocks. Returns false
     * when already closing.
     */
    public boolean close(CloseCode.Close close) {
        if (!beginClosing(close)) {
            return false;
        }
        flush();
        return true;
    }

    /**
     * Closes at once on the calling thread, without waiting for anything handed over (the
     * container orders the close after it): for shutdown, whose thread is meant to wait, and which
     * must be done before the application is gone.
     */
    public void closeNow(CloseCode.Close close) {
        if (beginClosing(close) && closeIssued.compareAndSet(false, true)) {
            transport.close(close);
        }
    }

    /** Moves an open queue to closing with this close and drops what waits; false when not open. */
    private boolean beginClosing(CloseCode.Close close) {
        if (!state.compareAndSet(OPEN, CLOSING)) {
            return false;
        }
        pendingClose = close;
        closingSince = nanoClock.getAsLong();
        clear();
        return true;
    }

    /**
     * Aborts the connection when its close has not gone through a send timeout after it began: the
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
        unanswered.clear();
    }

    private void clear() {
        OutboundFrame dropped;
        while ((dropped = queue.poll()) != null) {
            take(dropped);
        }
    }

    /**
     * Starts the next write unless one is in flight or the queue is held; once closing, issues the
     * close when what was handed over is confirmed. A transport may complete a write on the calling
     * thread; then the loop continues here instead of recursing from the callback, so a long queue
     * cannot overflow the stack.
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
                askForConfirmation(); // the answer lets a too-slow close follow what was handed over
                inFlightSince.set(IDLE);
                closeIfDrained();
                return;
            }
            if (handed.get() - askedUpTo >= confirmEvery) {
                askForConfirmation();
            }
            List<OutboundFrame> batch = pollBatch();
            if (batch.isEmpty()) {
                if (!queue.isEmpty()) {
                    askForConfirmation(); // held back by the bound: the answer lets it go
                }
                inFlightSince.set(IDLE);
                // A frame, an answer or a close may have raced in before the release.
                OutboundFrame next = queue.peek();
                if (state.get() == OPEN && (next == null || overBound(0, next.bytes()))) {
                    return;
                }
                continue;
            }
            long bytes = 0;
            long counted = 0;
            for (OutboundFrame frame : batch) {
                bytes += frame.bytes();
                counted += frame.counted() ? frame.bytes() : 0;
            }
            Write write = new Write(handed.addAndGet(bytes), handedCounted.addAndGet(counted));
            transport.write(batch, write);
            if (!write.returnedBeforeResult()) {
                return; // still in flight; its completion continues
            }
        }
    }

    /** Whether handing {@code more} bytes on top of {@code batched} would leave too much unconfirmed. */
    private boolean overBound(long batched, long more) {
        long unconfirmed = unconfirmedBytes() + batched;
        return unconfirmed > 0 && unconfirmed + more > maxBytes + kernelBytes;
    }

    /** What waits, up to {@link #MAX_BATCH_BYTES} and the bound on what may be unconfirmed. The writer's. */
    private List<OutboundFrame> pollBatch() {
        OutboundFrame first = queue.peek();
        if (first == null || overBound(0, first.bytes())) {
            return List.of();
        }
        first = queue.poll();
        if (first == null) {
            return List.of(); // a close cleared the queue meanwhile
        }
        long bytes = take(first);
        OutboundFrame next = queue.peek();
        if (next == null) {
            return List.of(first); // the common case: one frame, no list to grow
        }
        List<OutboundFrame> batch = new ArrayList<>();
        batch.add(first);
        while (next != null && bytes + next.bytes() <= MAX_BATCH_BYTES && !overBound(bytes, next.bytes())) {
            OutboundFrame taken = queue.poll();
            if (taken == null) {
                break;
            }
            batch.add(taken);
            bytes += take(taken);
            next = queue.peek();
        }
        return batch;
    }

    /** Takes a frame out of the queue's count; returns its size. */
    private long take(OutboundFrame frame) {
        if (frame.counted()) {
            queuedBytes.addAndGet(-frame.bytes());
        }
        return frame.bytes();
    }

    /** Where answers confirm: a keep-alive covering everything handed over, unless the latest does. The writer's. */
    private void askForConfirmation() {
        if (!answersConfirm || handed.get() <= askedUpTo) {
            return;
        }
        transport.keepAlive(nextKeepAlive(), failure -> {
            if (failure != null) {
                released(); // the transport reports the broken connection itself
            }
        });
    }

    /** Numbers a keep-alive and, where answers confirm, records what it covers before it can be answered. */
    private long nextKeepAlive() {
        long sequence = keepAliveSequence.incrementAndGet();
        if (answersConfirm) {
            long upTo = handed.get();
            long now = nanoClock.getAsLong();
            unanswered.add(new KeepAlive(sequence, upTo, handedCounted.get(), now));
            askedUpTo = upTo;
            if (askedSince == IDLE && upTo > confirmed.get() + kernelBytes) {
                askedSince = now;
            }
        }
        return sequence;
    }

    /**
     * Issues the close once no write is in flight. A too-slow close also waits until what was
     * handed over is confirmed: its reader has a backlog, and on Tyrus a close drops the frames its
     * servlet writer still holds, the close frame included. Other closes find a reader that keeps up
     * (or a dead one, 4008) and go at once.
     */
    private void closeIfDrained() {
        CloseCode.Close close = pendingClose;
        boolean drained = close == null || close.code() != CloseCode.TOO_SLOW || confirmed.get() >= handed.get();
        if (state.get() == CLOSING && inFlightSince.get() == IDLE && drained
                && closeIssued.compareAndSet(false, true)) {
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

    /** One write's completion: confirms it where completions mean written, and lets the next one start. */
    private final class Write implements Transport.Completion {
        private static final int PENDING = 0;
        private static final int RETURNED = 1;
        private static final int DONE_INLINE = 2;
        private final AtomicInteger progress = new AtomicInteger(PENDING);
        /** {@link #handed} and its counted part with this write. */
        private final long upTo;
        private final long upToCounted;

        Write(long upTo, long upToCounted) {
            this.upTo = upTo;
            this.upToCounted = upToCounted;
        }

        @Override
        public void completed(Throwable failure) {
            if (failure != null) {
                // The transport reports the broken connection itself; stop writing.
                state.set(CLOSED);
                clear();
            } else if (!answersConfirm) {
                confirmed.accumulateAndGet(upTo, Math::max);
                confirmedCounted.accumulateAndGet(upToCounted, Math::max);
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

    @Override
    public String toString() {
        return "OutboundQueue[state=" + state.get() + " queued=" + queuedBytes.get() + " unconfirmed="
                + unconfirmedBytes() + " unanswered=" + unanswered.size() + "]";
    }
}
