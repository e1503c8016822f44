package dev.duplex.service;

import dev.duplex.connection.Connection;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Starts the sending of a broadcast that is already queued to every recipient.
 *
 * <p>The broadcast's order is fixed when it is queued (under the room's delivery lock). Sending only drains
 * each recipient's own queue, so it may run on any thread, in any order across recipients. Small
 * fan-outs are drained on the caller's thread. Big ones are split into chunks for a few threads of
 * Duplex's own, so that one busy room is not capped at what the publisher's thread can write, and
 * the publisher's thread does not hold the room's lock while writing.
 *
 * <p>When the chunks come faster than the threads drain them, the queue of chunks fills and the
 * caller drains the next chunk itself. That slows the publisher's connection, as a single thread
 * did before, instead of piling the backlog into every recipient's queue until they all count as
 * too slow.
 */
public final class FanOut {

    /** Recipients drained on the caller's thread; bigger fan-outs go to the threads in chunks of this size at least. */
    static final int INLINE_UP_TO = 64;

    private final ThreadPoolExecutor pool;

    /** @param threads drainer threads; 0 drains every fan-out on the caller's thread */
    public FanOut(int threads, ThreadFactory threadFactory) {
        if (threads == 0) {
            this.pool = null;
            return;
        }
        this.pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(threads * 4), threadFactory, new ThreadPoolExecutor.CallerRunsPolicy());
        // An idle server holds no drainer threads.
        pool.allowCoreThreadTimeOut(true);
    }

    /** Starts sending to every connection in {@code queued}, which must not change afterwards. */
    void drain(List<Connection> queued) {
        int size = queued.size();
        if (pool == null || size <= INLINE_UP_TO || pool.isShutdown()) {
            drainAll(queued);
            return;
        }
        int chunks = Math.min(pool.getMaximumPoolSize(), (size + INLINE_UP_TO - 1) / INLINE_UP_TO);
        int perChunk = (size + chunks - 1) / chunks;
        for (int from = 0; from < size; from += perChunk) {
            List<Connection> chunk = queued.subList(from, Math.min(size, from + perChunk));
            pool.execute(() -> drainAll(chunk));
        }
    }

    private static void drainAll(List<Connection> connections) {
        for (Connection connection : connections) {
            connection.flush();
        }
    }

    /** Stops the threads after the chunks already handed over; later fan-outs drain on the caller. */
    public void shutdown() {
        if (pool != null) {
            pool.shutdown();
        }
    }
}
