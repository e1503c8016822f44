package dev.duplex.service;

import dev.duplex.protocol.AppCloseCode;
import jakarta.websocket.SendHandler;
import jakarta.websocket.SendResult;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One session's outbound frames, sent one at a time in the order offered.
 *
 * <p>Only one asynchronous send is ever in flight per session (Tomcat rejects overlapping ones, and
 * order must hold). Offering never blocks. A session is closed with {@link AppCloseCode#TOO_SLOW}
 * and its queue dropped when more than {@code maxBytes} wait, or when a send has been in flight
 * longer than {@code sendTimeoutNanos}: a slow reader costs everyone else nothing.
 */
public final class OutboundQueue {

    private final FrameSink sink;
    private final long maxBytes;
    private final long sendTimeoutNanos;
    private final ConcurrentLinkedQueue<OutboundFrame> queue = new ConcurrentLinkedQueue<>();
    private final AtomicLong queuedBytes = new AtomicLong();
    /** No send in flight. */
    private static final long IDLE = Long.MIN_VALUE;
    /**
     * When the send in flight started ({@link System#nanoTime()}), or {@link #IDLE}. One word for
     * both, so that nobody can see a send in flight with a start time from an earlier one: that
     * would close a healthy session as too slow.
     */
    private final AtomicLong inFlightSince = new AtomicLong(IDLE);
    private volatile boolean closed;

    public OutboundQueue(FrameSink sink, long maxBytes, long sendTimeoutNanos) {
        this.sink = sink;
        this.maxBytes = maxBytes;
        this.sendTimeoutNanos = sendTimeoutNanos;
    }

    /**
     * Queues a frame and starts sending. Returns false when the queue is closed or the session
     * turned out too slow, in which case it is being closed.
     */
    public boolean offer(OutboundFrame frame) {
        boolean queued = enqueue(frame);
        if (queued) {
            drain();
        }
        return queued;
    }

    /**
     * Queues a frame without starting to send it; {@link #flush()} starts sending. A session's
     * first frame is queued this way before the session can receive broadcasts, so it stays first
     * while broadcasts that race in queue up behind it.
     */
    public boolean enqueue(OutboundFrame frame) {
        if (closed) {
            return false;
        }
        if (stalled(System.nanoTime()) || queuedBytes.addAndGet(frame.bytes()) > maxBytes) {
            tooSlow();
            return false;
        }
        queue.add(frame);
        return true;
    }

    /** Starts sending whatever is queued, unless a send is already in flight. */
    public void flush() {
        drain();
    }

    /** Queues a WebSocket ping if nothing is waiting or in flight; returns whether it did. */
    public boolean pingIfIdle() {
        if (closed || inFlightSince.get() != IDLE || !queue.isEmpty()) {
            return false;
        }
        return offer(OutboundFrame.PING);
    }

    /** True when a send has been in flight for longer than the send timeout. */
    public boolean stalled(long nowNanos) {
        long since = inFlightSince.get();
        return since != IDLE && nowNanos - since > sendTimeoutNanos;
    }

    /** Bytes waiting, not counting a send in flight. */
    public long queuedBytes() {
        return queuedBytes.get();
    }

    public boolean isClosed() {
        return closed;
    }

    /** Closes the session as too slow, once. */
    public void tooSlow() {
        if (closed) {
            return;
        }
        dispose();
        sink.close(AppCloseCode.TOO_SLOW.reason());
    }

    /** Drops whatever is queued and accepts nothing more; the connection itself is left alone. */
    public void dispose() {
        closed = true;
        queue.clear();
    }

    /**
     * Starts the next send unless one is in flight. A container may complete a send on the calling
     * thread; then the loop continues here instead of recursing from the callback, so a long queue
     * cannot overflow the stack.
     */
    private void drain() {
        while (!closed && inFlightSince.compareAndSet(IDLE, startTime())) {
            OutboundFrame next = queue.poll();
            if (next == null) {
                inFlightSince.set(IDLE);
                if (queue.isEmpty()) {
                    return;
                }
                continue; // an offer raced in between poll and release
            }
            queuedBytes.addAndGet(-next.bytes());
            Completion completion = new Completion();
            if (next == OutboundFrame.PING) {
                sink.sendPing(completion);
            } else {
                sink.sendText(next.text(), completion);
            }
            if (!completion.returnedBeforeResult()) {
                return; // still in flight; its callback continues the drain
            }
        }
    }

    private static long startTime() {
        long now = System.nanoTime();
        return now == IDLE ? now + 1 : now;
    }

    private final class Completion implements SendHandler {
        private static final int PENDING = 0;
        private static final int RETURNED = 1;
        private static final int DONE_INLINE = 2;
        private final AtomicInteger state = new AtomicInteger(PENDING);

        @Override
        public void onResult(SendResult result) {
            if (!result.isOK()) {
                // The container reports the broken connection through onError/onClose; stop sending.
                dispose();
            }
            inFlightSince.set(IDLE);
            if (!state.compareAndSet(PENDING, DONE_INLINE)) {
                drain();
            }
        }

        /** True when the send already completed on the calling thread, which then keeps draining. */
        boolean returnedBeforeResult() {
            return !state.compareAndSet(PENDING, RETURNED);
        }
    }
}
