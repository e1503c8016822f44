package dev.duplex.connection;

import dev.duplex.message.CloseCode;
import java.util.List;

/**
 * How one connection's frames reach its peer: a WebSocket session, or (for transports whose
 * requests come and go) whatever holds the stream. Everything above this interface is the same for
 * every transport. Implementations never block the caller, except {@link #keepAlive} and
 * {@link #close}, which are called off the broadcasting threads, and never throw.
 */
public interface Transport {

    /** The transport's name: {@code websocket}, {@code sse}, {@code poll}. */
    String name();

    /**
     * Starts writing {@code frames} in order. {@code done} is called exactly once, possibly on this
     * thread, when all of them were written or the write failed; only then may the next write start.
     */
    void write(List<OutboundFrame> frames, Completion done);

    /**
     * Whether a completed write means the bytes reached the socket. Where it only means another
     * queue took them (Tyrus hands them to Grizzly's, which holds megabytes), the connection counts
     * bytes as written only once the peer answers a keep-alive sent after them.
     */
    default boolean completionMeansWritten() {
        return true;
    }

    /**
     * Where completions do not mean written: what the kernel's socket buffer may hold on top of the
     * send buffer, since answers confirm only what the peer read.
     */
    default long kernelBufferBytes() {
        return 0;
    }

    /**
     * Proves the connection alive to the peer (a WebSocket ping) and asks it to answer with
     * {@code sequence}; completes like {@link #write}. The peer's answer reaches the connection's
     * queue as {@link OutboundQueue#keepAliveAnswered}.
     */
    void keepAlive(long sequence, Completion done);

    /** Closes after what was already written, with this code and reason; may wait for the peer. */
    void close(CloseCode.Close close);

    /** Drops the connection at once, without a close handshake: the peer stopped reading. */
    void abort();

    /** The end of one write or keep-alive. */
    @FunctionalInterface
    interface Completion {
        /** @param failure null when everything was written */
        void completed(Throwable failure);
    }
}
