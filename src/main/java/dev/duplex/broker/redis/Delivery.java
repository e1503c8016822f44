package dev.duplex.broker.redis;

import dev.duplex.broker.BackplaneUnavailableException;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The node's one delivery thread: bus messages and catch-ups run on it one at a time, in order.
 *
 * <p>At most {@code bound} bus messages wait for it, so a node that cannot keep up does not grow
 * its heap; it drops what does not fit. A dropped room message is not lost (it is in the room's
 * log): its room is caught up from the log once the thread gets to it. A dropped frame (presence,
 * typing, a direct, a notice) is lost: those are not stored anywhere. A typing notice means little
 * later anyway, and the room's next presence frame carries the whole member list again; a direct
 * or a notice the sender was told was sent never arrives here. Both kinds are counted, and
 * {@link #report} logs them.
 *
 * <p>Catch-ups take no place in the queue: they are flags, each run once however often asked
 * for, after whatever task the thread runs next. A request that finds the queue full is safe to
 * forget: the tasks in the queue run after it and each one ends by running what is owed.
 */
final class Delivery implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Delivery.class.getName());

    /** What runs on the delivery thread. */
    interface Work {
        void receive(String payload);

        void catchUp(String room);

        void catchUpAll();
    }

    private final Work work;
    private final String nodeId;
    private final ThreadPoolExecutor thread;
    private final Set<String> roomsBehind = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean allBehind = new AtomicBoolean();
    private final AtomicBoolean wakeQueued = new AtomicBoolean();
    private final AtomicLong droppedMessages = new AtomicLong();
    private final AtomicLong droppedFrames = new AtomicLong();
    private final AtomicBoolean dropping = new AtomicBoolean();
    private long reportedMessages;
    private long reportedFrames;

    Delivery(int bound, Work work, String nodeId) {
        this.work = work;
        this.nodeId = nodeId;
        this.thread = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(bound), task -> {
            Thread delivery = new Thread(task, "duplex-redis-delivery");
            delivery.setDaemon(true);
            return delivery;
        });
    }

    /** A bus message, from the subscription's thread: queued, or dropped when the queue is full. */
    void offer(String payload) {
        try {
            thread.execute(() -> {
                work.receive(payload);
                catchUpOwed();
            });
        } catch (RejectedExecutionException full) {
            if (thread.isShutdown()) {
                return;
            }
            String room = RoomFeeds.roomOf(payload);
            if (room != null) {
                droppedMessages.incrementAndGet();
                catchUp(room);
            } else {
                droppedFrames.incrementAndGet();
            }
            if (dropping.compareAndSet(false, true)) {
                LOG.log(System.Logger.Level.WARNING, "node {0}: {1} bus messages wait for delivery; dropping what "
                        + "comes on top until it catches up (rooms from their logs)", nodeId,
                        String.valueOf(thread.getQueue().size()));
            }
        }
    }

    /** Has {@code room} caught up from its log on the delivery thread. */
    void catchUp(String room) {
        roomsBehind.add(room);
        wake();
    }

    /** Has every followed room caught up from its log on the delivery thread. */
    void catchUpAll() {
        allBehind.set(true);
        wake();
    }

    private void wake() {
        if (wakeQueued.compareAndSet(false, true)) {
            try {
                thread.execute(() -> {
                    wakeQueued.set(false);
                    catchUpOwed();
                });
            } catch (RejectedExecutionException fullOrClosing) {
                wakeQueued.set(false); // a queued task runs it
            }
        }
    }

    private void catchUpOwed() {
        try {
            if (allBehind.getAndSet(false)) {
                work.catchUpAll();
            }
            for (String room : roomsBehind) {
                if (roomsBehind.remove(room)) {
                    work.catchUp(room);
                }
            }
        } catch (BackplaneUnavailableException e) {
            // Redis is away; when it is back, every followed room is caught up
            LOG.log(System.Logger.Level.DEBUG, "node {0}: catch-up postponed: {1}", nodeId, e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "node " + nodeId + ": catch-up failed", e);
        }
    }

    /** Logs what was dropped since the last report, if anything. Called by one thread (housekeeping). */
    void report() {
        long messages = droppedMessages.get();
        long frames = droppedFrames.get();
        if (messages == reportedMessages && frames == reportedFrames) {
            dropping.set(false);
            return;
        }
        LOG.log(System.Logger.Level.WARNING, "node {0}: delivery fell behind: dropped {1} room messages (caught up "
                + "from their logs) and {2} other frames (presence, typing, directs, notices: lost) since the last "
                + "report; {3} in all", nodeId, String.valueOf(messages - reportedMessages),
                String.valueOf(frames - reportedFrames), String.valueOf(messages + frames));
        reportedMessages = messages;
        reportedFrames = frames;
    }

    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(3, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
