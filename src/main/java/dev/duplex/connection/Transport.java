package dev.duplex.connection;

import dev.duplex.message.CloseCode;
import java.util.List;

/**
 * How one connection's frames reach its peer: a WebSocket session, or (for transports whose
 * requests come and go) whatever holds the stream. Everything above this interface is the same for
 * every transport. Implementations never block the caller and never throw.
 */
public interface Transport {

    /** The transport's name as the {@code welcome} frame reports it: {@code websocket}, {@code sse}, {@code poll}. */
    String name();

    /**
     * Starts writing {@code frames} in order. {@code done} is called exactly once, possibly on this
     * thread, when all of them were written or the write failed; only then may the next write start.
     */
    void write(List<OutboundFrame> frames, Completion done);

    /** Proves the connection alive to the peer (a WebSocket ping); completes like {@link #write}. */
    void keepAlive(Completion done);

    /** Closes after what was already written, with this code and reason. May wait for the peer. */
    void close(CloseCode.Close close);

    /** Drops the connection at once, without a close handshake (the peer stopped reading). */
    void abort();

    /** The end of one write or keep-alive. */
    @FunctionalInterface
    interface Completion {
        /** @param failure null when everything was written */
        void completed(Throwable failure);
    }
}
