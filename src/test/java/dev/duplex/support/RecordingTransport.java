package dev.duplex.support;

import dev.duplex.connection.OutboundFrame;
import dev.duplex.connection.Transport;
import dev.duplex.message.CloseCode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;

/**
 * A {@link Transport} for unit tests that records what was written. In {@code inline} mode every
 * write completes at once on the caller's thread (as some containers do); otherwise writes stay in
 * flight until {@link #completeNext()}, which models a slow or stalled peer.
 */
public final class RecordingTransport implements Transport {

    public static final String PING = "<ping>";

    private final boolean inline;
    /** Null: completions mean written. Otherwise the kernel allowance of a transport whose pongs confirm. */
    private final Long kernelBytes;
    private final List<String> sent = new ArrayList<>();
    private final List<Long> keepAlives = new ArrayList<>();
    private final List<Integer> batchSizes = new ArrayList<>();
    private final Queue<Completion> inFlight = new ArrayDeque<>();
    private CloseCode.Close closedWith;
    private boolean aborted;
    private int maxInFlight;

    public RecordingTransport(boolean inline) {
        this(inline, null);
    }

    private RecordingTransport(boolean inline, Long kernelBytes) {
        this.inline = inline;
        this.kernelBytes = kernelBytes;
    }

    /**
     * A transport like Tyrus: every write completes at once, but only the peer's answer to a
     * keep-alive confirms what came before it; the kernel may hold {@code kernelBytes} on top.
     */
    public static RecordingTransport confirmedByAnswers(long kernelBytes) {
        return new RecordingTransport(true, kernelBytes);
    }

    @Override
    public boolean completionMeansWritten() {
        return kernelBytes == null;
    }

    @Override
    public long kernelBufferBytes() {
        return kernelBytes == null ? 0 : kernelBytes;
    }

    @Override
    public String name() {
        return "test";
    }

    @Override
    public void write(List<OutboundFrame> frames, Completion done) {
        record(frames.stream().map(OutboundFrame::text).toList(), done);
    }

    /** Keep-alives are recorded as the text {@code <ping>} and complete like writes. */
    @Override
    public void keepAlive(long sequence, Completion done) {
        synchronized (this) {
            keepAlives.add(sequence);
        }
        record(List.of(PING), done);
    }

    /** The sequence numbers of the keep-alives sent, in order. */
    public synchronized List<Long> keepAlives() {
        return List.copyOf(keepAlives);
    }

    private void record(List<String> texts, Completion done) {
        synchronized (this) {
            sent.addAll(texts);
            batchSizes.add(texts.size());
            if (!inline) {
                inFlight.add(done);
                maxInFlight = Math.max(maxInFlight, inFlight.size());
                return;
            }
        }
        done.completed(null);
    }

    @Override
    public synchronized void close(CloseCode.Close close) {
        closedWith = close;
    }

    @Override
    public synchronized void abort() {
        aborted = true;
    }

    /** Completes the oldest in-flight write successfully; returns false when none was in flight. */
    public boolean completeNext() {
        Completion completion;
        synchronized (this) {
            completion = inFlight.poll();
        }
        if (completion == null) {
            return false;
        }
        completion.completed(null);
        return true;
    }

    /** Fails the oldest in-flight write, as a broken connection would. */
    public void failNext() {
        Completion completion;
        synchronized (this) {
            completion = inFlight.poll();
        }
        completion.completed(new java.io.IOException("connection reset"));
    }

    public synchronized List<String> sent() {
        return List.copyOf(sent);
    }

    /** How many frames each write carried, in order. */
    public synchronized List<Integer> batchSizes() {
        return List.copyOf(batchSizes);
    }

    public synchronized CloseCode.Close closedWith() {
        return closedWith;
    }

    public synchronized boolean aborted() {
        return aborted;
    }

    public synchronized int maxInFlight() {
        return maxInFlight;
    }
}
