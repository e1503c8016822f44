package dev.duplex.broker.redis;

import dev.duplex.broker.Backplane.GapListener;
import dev.duplex.broker.BackplaneUnavailableException;
import dev.duplex.broker.StreamIds;
import dev.duplex.broker.Topic;
import dev.duplex.broker.Published;
import dev.duplex.message.ServerFrame.ChatMessage;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The rooms this node follows and how far each one's log was delivered here (its position). Room
 * messages arrive on the bus as {@code M\nroom\nprevious id\nid\nts\nfrom\ntext}; one whose
 * predecessor is the position is delivered at once, otherwise the missing entries are read from
 * the log first ({@link #fill}), and entries trimmed before this node read them are reported to
 * the {@link GapListener} and skipped. The position only moves forward, so each message is
 * delivered here once, in log order. Redis is read without a feed's lock and what was read is
 * applied under it, so a join waiting for Redis never holds up the delivery thread.
 */
final class RoomFeeds {

    private static final System.Logger LOG = System.getLogger(RoomFeeds.class.getName());

    static final String MESSAGE = "M\n";
    private static final int FILL_BATCH = 500;

    private final RedisMessageStore store;
    private final RedisBroker broker;
    private final Consumer<String> catchUpLater;
    private final String nodeId;
    private final Map<String, Feed> feeds = new ConcurrentHashMap<>();
    private volatile GapListener gapListener;

    /** @param catchUpLater has {@link #catchUp} run for a room on the delivery thread */
    RoomFeeds(RedisMessageStore store, RedisBroker broker, Consumer<String> catchUpLater, String nodeId) {
        this.store = store;
        this.broker = broker;
        this.catchUpLater = catchUpLater;
        this.nodeId = nodeId;
    }

    /**
     * One followed room on this node: how far its log was delivered here. Guarded by itself, and
     * never held across a Redis call: the delivery thread waits for it.
     */
    private static final class Feed {
        final String room;
        int followers;
        /** Stream id of the last entry delivered here; null until its first follower read it. */
        String position;
        /** A message arrived before there was a position; it may be after the one being read. */
        boolean missed;
        boolean retired;
        /** What waits for a later position: each queues (under the lock) and returns its sending. */
        final TreeMap<String, List<Supplier<Runnable>>> pending = new TreeMap<>(StreamIds::compare);
        /**
         * The sending of what was queued under the lock (deliveries, acks), started once it is
         * released: nothing is written while the room's delivery lock is held.
         */
        List<Runnable> unsent = new ArrayList<>();

        Feed(String room) {
            this.room = room;
        }
    }

    void follow(String room, String since, Consumer<String> atPosition) {
        Feed feed;
        synchronized (feeds) {
            feed = feeds.computeIfAbsent(room, Feed::new);
            feed.followers++;
        }
        try {
            if (position(feed) == null) {
                start(feed, store.lastStreamId(room));
            }
            String sinceStream = StreamIds.toStreamId(since);
            if (sinceStream != null && StreamIds.compare(sinceStream, position(feed)) > 0) {
                fill(feed); // this client saw more elsewhere than this node delivered yet
            }
            synchronized (feed) {
                atPosition.accept(StreamIds.ZERO.equals(feed.position) ? null : StreamIds.toMessageId(feed.position));
            }
            // The caller holds the room's lock: what a catch-up here delivered is sent from the
            // delivery thread, which catches the room up (a no-op by then) and sends what waits.
            if (hasUnsent(feed)) {
                catchUpLater.accept(room);
            }
        } catch (RuntimeException e) {
            unfollow(room);
            throw e;
        }
    }

    private static String position(Feed feed) {
        synchronized (feed) {
            return feed.position;
        }
    }

    /** Sets a new feed's position, read without its lock; a message that came meanwhile is caught up. */
    private void start(Feed feed, String last) {
        boolean missed;
        synchronized (feed) {
            if (feed.position != null) {
                return; // another follower was first
            }
            advance(feed, last);
            missed = feed.missed;
            feed.missed = false;
        }
        if (missed) {
            catchUpLater.accept(feed.room);
        }
    }

    void unfollow(String room) {
        Feed feed;
        synchronized (feeds) {
            feed = feeds.get(room);
            if (feed == null || --feed.followers > 0) {
                return;
            }
            feeds.remove(room);
        }
        // Outside the map's lock: a join elsewhere must not wait while this feed is busy.
        synchronized (feed) {
            feed.retired = true;
            feed.pending.values().forEach(queued -> queued.forEach(queue -> feed.unsent.add(queue.get())));
            feed.pending.clear();
        }
        // Acks of messages this node will no longer deliver (their sender left): sent now, off the
        // delivery lock; the caller is leaving the room, not broadcasting.
        sendDelivered(feed);
    }

    void afterDelivered(String room, String id, Supplier<Runnable> action) {
        String streamId = StreamIds.toStreamId(id);
        Feed feed = feeds.get(room);
        if (feed == null || streamId == null) {
            action.get().run();
            return;
        }
        synchronized (feed) {
            if (feed.retired || feed.position != null && StreamIds.compare(streamId, feed.position) <= 0) {
                feed.unsent.add(action.get());
            } else {
                feed.pending.computeIfAbsent(streamId, k -> new ArrayList<>(1)).add(action);
            }
        }
        sendDelivered(feed);
    }

    void onGap(GapListener listener) {
        this.gapListener = listener;
    }

    /** The rooms followed here. */
    Set<String> rooms() {
        return feeds.keySet();
    }

    /** The room of a room message from the bus; null for anything else. */
    static String roomOf(String payload) {
        return payload.startsWith(MESSAGE) ? payload.substring(MESSAGE.length(), payload.indexOf('\n', MESSAGE.length()))
                : null;
    }

    /** A room message from the bus, on the delivery thread. */
    void receive(String payload) {
        String[] f = payload.split("\n", 7);
        Feed feed = feeds.get(f[1]);
        if (feed == null) {
            return;
        }
        try {
            receive(feed, f);
        } finally {
            sendDelivered(feed);
        }
    }

    private void receive(Feed feed, String[] f) {
        synchronized (feed) {
            if (feed.retired) {
                return;
            }
            if (feed.position == null) {
                feed.missed = true; // its follower is reading the position
                return;
            }
            if (StreamIds.compare(f[3], feed.position) <= 0) {
                return; // delivered already
            }
            if (f[2].equals(feed.position)) {
                deliver(feed, f[3], new ChatMessage(StreamIds.toMessageId(f[3]), f[1], f[5], f[6],
                        Instant.ofEpochMilli(Long.parseLong(f[4]))));
                return;
            }
        }
        fill(feed); // a gap: read the log from our position
    }

    /** Reads a followed room's log from its position, on the delivery thread. */
    void catchUp(String room) {
        Feed feed = feeds.get(room);
        if (feed != null) {
            try {
                fill(feed);
            } finally {
                sendDelivered(feed);
            }
        }
    }

    /** Reads every followed room's log from its position, on the delivery thread. */
    void catchUpAll() {
        for (Feed feed : feeds.values()) {
            try {
                fill(feed);
            } catch (BackplaneUnavailableException e) {
                return;
            } finally {
                sendDelivered(feed);
            }
        }
    }

    /**
     * Delivers every entry after the feed's position. Each batch is read without the feed's lock,
     * then delivered under it from the position the feed has by then, which only moved forward: the
     * batch was read from an older or the same position, so it holds every kept entry after the
     * current one, in order, and those at or before it are skipped. When entries after the position
     * were trimmed before this node read them, the gap is reported first and delivery continues
     * with the oldest kept entry. A batch and its gap check are one atomic read.
     */
    private void fill(Feed feed) {
        while (true) {
            String from = position(feed);
            if (from == null) {
                return; // not started: its follower reads the position
            }
            RedisMessageStore.Slice slice = store.read(feed.room, StreamIds.next(from), "+", FILL_BATCH);
            synchronized (feed) {
                if (feed.retired) {
                    return;
                }
                if (StreamIds.compare(slice.lastTrimmed(), feed.position) > 0) {
                    skip(feed, slice.lastTrimmed());
                }
                for (Object entry : slice.entries()) {
                    String streamId = RedisMessageStore.streamId(entry);
                    if (StreamIds.compare(streamId, feed.position) > 0) {
                        deliver(feed, streamId, RedisMessageStore.toMessage(feed.room, entry));
                    }
                }
            }
            if (slice.entries().size() < FILL_BATCH) {
                return;
            }
        }
    }

    /** Moves the position over entries trimmed before they were delivered here, and says so. */
    private void skip(Feed feed, String lastTrimmed) {
        String after = feed.position;
        LOG.log(System.Logger.Level.WARNING, "node {0}: room {1}: entries after {2} up to {3} were trimmed before "
                + "this node delivered them (history-gap)", nodeId, feed.room, after, lastTrimmed);
        GapListener listener = gapListener;
        if (listener != null) {
            try {
                listener.gap(feed.room, StreamIds.ZERO.equals(after) ? null : StreamIds.toMessageId(after),
                        StreamIds.toMessageId(lastTrimmed));
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "node " + nodeId + ": gap listener failed", e);
            }
        }
        advance(feed, lastTrimmed);
    }

    /** Queues a message for this node's sessions; caller holds the feed's lock. */
    private void deliver(Feed feed, String streamId, ChatMessage message) {
        feed.unsent.add(broker.deliverLocally(Topic.room(feed.room), Published.of(message)));
        advance(feed, streamId);
    }

    /** Sets the position and queues what waited for it (acks), in order after the deliveries. */
    private static void advance(Feed feed, String streamId) {
        feed.position = streamId;
        while (!feed.pending.isEmpty() && StreamIds.compare(feed.pending.firstKey(), streamId) <= 0) {
            for (Supplier<Runnable> queue : feed.pending.pollFirstEntry().getValue()) {
                feed.unsent.add(queue.get());
            }
        }
    }

    private static boolean hasUnsent(Feed feed) {
        synchronized (feed) {
            return !feed.unsent.isEmpty();
        }
    }

    /** Starts the sending of what was queued under the feed's lock; called without it. */
    private static void sendDelivered(Feed feed) {
        List<Runnable> batch;
        synchronized (feed) {
            if (feed.unsent.isEmpty()) {
                return;
            }
            batch = feed.unsent;
            feed.unsent = new ArrayList<>();
        }
        for (Runnable sending : batch) {
            sending.run();
        }
    }
}
