package dev.duplex.support;

import dev.duplex.service.FrameSink;
import jakarta.websocket.CloseReason;
import jakarta.websocket.SendHandler;
import jakarta.websocket.SendResult;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;

/**
 * A {@link FrameSink} for unit tests that records what was sent. In {@code inline} mode every send
 * completes at once on the caller's thread (as some containers do); otherwise sends stay in flight
 * until {@link #completeNext()}, which models a slow or stalled peer.
 */
public final class RecordingSink implements FrameSink {

    public static final String PING = "<ping>";

    private final boolean inline;
    private final List<String> sent = new ArrayList<>();
    private final Queue<SendHandler> inFlight = new ArrayDeque<>();
    private CloseReason closedWith;
    private int maxInFlight;

    public RecordingSink(boolean inline) {
        this.inline = inline;
    }

    @Override
    public synchronized void sendText(String text, SendHandler done) {
        sent.add(text);
        if (inline) {
            done.onResult(new SendResult());
            return;
        }
        inFlight.add(done);
        maxInFlight = Math.max(maxInFlight, inFlight.size());
    }

    /** Pings are recorded as the text {@code <ping>} and complete like text sends. */
    @Override
    public void sendPing(SendHandler done) {
        sendText(PING, done);
    }

    @Override
    public synchronized void close(CloseReason reason) {
        closedWith = reason;
    }

    /** Completes the oldest in-flight send successfully; returns false when none was in flight. */
    public boolean completeNext() {
        SendHandler handler;
        synchronized (this) {
            handler = inFlight.poll();
        }
        if (handler == null) {
            return false;
        }
        handler.onResult(new SendResult());
        return true;
    }

    /** Fails the oldest in-flight send, as a broken connection would. */
    public void failNext() {
        SendHandler handler;
        synchronized (this) {
            handler = inFlight.poll();
        }
        handler.onResult(new SendResult(new java.io.IOException("connection reset")));
    }

    public synchronized List<String> sent() {
        return List.copyOf(sent);
    }

    public synchronized CloseReason closedWith() {
        return closedWith;
    }

    public synchronized int maxInFlight() {
        return maxInFlight;
    }
}
