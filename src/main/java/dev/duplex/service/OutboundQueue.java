package dev.duplex.service;

import dev.duplex.protocol.AppCloseCode;
import jakarta.websocket.SendHandler;
import jakarta.websocket.SendResult;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One session's outbound frames, sent one at a time in the order offered.
 *
 * <p>Only one asynchronous send is ever in flight per session (Tomcat rejects overlapping ones, and
 * order must hold). Offering never blocks: a session that lets more than the configured frames or
 * characters pile up is closed with {@link AppCloseCode#TOO_SLOW} and its queue dropped, so a slow
 * reader costs everyone else nothing.
 */
public final class OutboundQueue {

    private final FrameSink sink;
    private final int maxFrames;
    private final long maxChars;
    private final ConcurrentLinkedQueue<String> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queuedFrames = new AtomicInteger();
    private final AtomicLong queuedChars = new AtomicLong();
    private final AtomicBoolean sending = new AtomicBoolean();
    private volatile boolean closed;

    public OutboundQueue(FrameSink sink, int maxFrames, long maxChars) {
        this.sink = sink;
        this.maxFrames = maxFrames;
        this.maxChars = maxChars;
    }

    /**
     * Queues a frame for sending. Returns false when the queue is closed or this frame overflowed
     * it, in which case the session is being closed as too slow.
     */
    public boolean offer(String text) {
        boolean queued = enqueue(text);
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
    public boolean enqueue(String text) {
        if (closed) {
            return false;
        }
        int frames = queuedFrames.incrementAndGet();
        long chars = queuedChars.addAndGet(text.length());
        if (frames > maxFrames || chars > maxChars) {
            queuedFrames.decrementAndGet();
            queuedChars.addAndGet(-text.length());
            overflow();
            return false;
        }
        queue.add(text);
        return true;
    }

    /** Starts sending whatever is queued, unless a send is already in flight. */
    public void flush() {
        drain();
    }

    /** Frames waiting, not counting one in flight. */
    public int queuedFrames() {
        return queuedFrames.get();
    }

    public boolean isClosed() {
        return closed;
    }

    /** Drops whatever is queued and accepts nothing more; the connection itself is left alone. */
    public void dispose() {
        closed = true;
        queue.clear();
    }

    private void overflow() {
        if (closed) {
            return;
        }
        dispose();
        sink.close(AppCloseCode.TOO_SLOW.reason());
    }

    /**
     * Starts the next send unless one is in flight. A container may complete a send on the calling
     * thread; then the loop continues here instead of recursing from the callback, so a long queue
     * cannot overflow the stack.
     */
    private void drain() {
        while (!closed && sending.compareAndSet(false, true)) {
            String next = queue.poll();
            if (next == null) {
                sending.set(false);
                if (queue.isEmpty()) {
                    return;
                }
                continue; // an offer raced in between poll and release
            }
            queuedFrames.decrementAndGet();
            queuedChars.addAndGet(-next.length());
            Completion completion = new Completion();
            sink.sendText(next, completion);
            if (!completion.returnedBeforeResult()) {
                return; // still in flight; its callback continues the drain
            }
        }
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
            sending.set(false);
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
