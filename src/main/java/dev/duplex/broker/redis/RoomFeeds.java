package dev.duplex.broker.redis;

import dev.duplex.broker.Backplane.GapListener;
import dev.duplex.broker.BackplaneUnavailableException;
import dev.duplex.broker.StreamIds;
import dev.duplex.broker.Topic;
import dev.duplex.codec.FrameCodec;
import dev.duplex.message.ServerFrame.ChatMessage;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The rooms this node follows and how far each one's log was delivered here (its position). Room
 * messages arrive on the bus as {@code M\nroom\nprevious id\nid\nts\nfrom\ntext}; one whose
 * predecessor is the position is delivered at once, otherwise the missing entries are read from
 * the log first ({@link #fill}), and entries trimmed before this node read them are reported to
 * the {@link GapListener} and skipped. The position only moves forward, so each message is
 * delivered here once, in log order.
 */
final class RoomFeeds {

    private static final System.Logger LOG = System.getLogger(RoomFeeds.class.getName());

    static final String MESSAGE = "M\n";
    private static final int FILL_BATCH = 500;

    private final RedisMessageStore store;
    private final RedisBroker broker;
    private final String nodeId;
    private final Map<String, Feed> feeds = new ConcurrentHashMap<>();
    private volatile GapListener gapListener;

    RoomFeeds(RedisMessageStore store, RedisBroker broker, String nodeId) {
        this.store = store;
        this.broker = broker;
        this.nodeId = nodeId;
    }

    /** One followed room on this node: how far its log was delivered here. Guarded by itself. */
    private static final class Feed {
        final String room;
        int followers;
        /** Stream id of the last entry delivered here; null until initialised. */
        String position;
        boolean retired;
        final TreeMap<String, List<Runnable>> pending = new TreeMap<>(StreamIds::compare);

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
            synchronized (feed) {
                if (feed.position == null) {
                    feed.position = store.lastStreamId(room);
                }
                String sinceStream = StreamIds.toStreamId(since);
                if (sinceStream != null && StreamIds.compare(sinceStream, feed.position) > 0) {
                    fill(feed); // this client saw more elsewhere than this node delivered yet
                }
                atPosition.accept(StreamIds.ZERO.equals(feed.position) ? null : StreamIds.toMessageId(feed.position));
            }
        } catch (RuntimeException e) {
            unfollow(room);
            throw e;
        }
    }

    void unfollow(String room) {
        synchronized (feeds) {
            Feed feed = feeds.get(room);
            if (feed == null || --feed.followers > 0) {
                return;
            }
            feeds.remove(room);
            synchronized (feed) {
                feed.retired = true;
                feed.pending.values().forEach(actions -> actions.forEach(Runnable::run));
                feed.pending.clear();
            }
        }
    }

    void afterDelivered(String room, String id, Runnable action) {
        String streamId = StreamIds.toStreamId(id);
        Feed feed = feeds.get(room);
        if (feed == null || streamId == null) {
            action.run();
            return;
        }
        synchronized (feed) {
            if (feed.retired || feed.position == null || StreamIds.compare(streamId, feed.position) <= 0) {
                action.run();
            } else {
                feed.pending.computeIfAbsent(streamId, k -> new ArrayList<>(1)).add(action);
            }
        }
    }

    void onGap(GapListener listener) {
        this.gapListener = listener;
    }

    /** The rooms followed here. */
    Set<String> rooms() {
        return feeds.keySet();
    }

    /** A room message from the bus, on the delivery thread. */
    void receive(String payload) {
        String[] f = payload.split("\n", 7);
        Feed feed = feeds.get(f[1]);
        if (feed == null) {
            return;
        }
        synchronized (feed) {
            if (feed.retired || feed.position == null || StreamIds.compare(f[3], feed.position) <= 0) {
                return; // not followed any more, or delivered already
            }
            if (f[2].equals(feed.position)) {
                deliver(feed, f[3], new ChatMessage(StreamIds.toMessageId(f[3]), f[1], f[5], f[6],
                        Instant.ofEpochMilli(Long.parseLong(f[4]))));
            } else {
                fill(feed); // a gap: read the stream from our position
            }
        }
    }

    /** Reads every followed room's log from its position, on the delivery thread. */
    void catchUpAll() {
        for (Feed feed : feeds.values()) {
            synchronized (feed) {
                if (!feed.retired && feed.position != null) {
                    try {
                        fill(feed);
                    } catch (BackplaneUnavailableException e) {
                        return;
                    }
                }
            }
        }
    }

    /**
     * Delivers every entry after the feed's position. When entries after the position were trimmed
     * before this node read them, reports the gap first and continues with the oldest kept entry.
     * Each batch and its gap check are one atomic read, so the position only moves forward, over
     * contiguous entries or over a reported gap. Caller holds the feed.
     */
    private void fill(Feed feed) {
        while (true) {
            RedisMessageStore.Slice slice = store.read(feed.room, StreamIds.next(feed.position), "+", FILL_BATCH);
            if (StreamIds.compare(slice.lastTrimmed(), feed.position) > 0) {
                skip(feed, slice.lastTrimmed());
            }
            for (Object entry : slice.entries()) {
                deliver(feed, RedisMessageStore.streamId(entry), RedisMessageStore.toMessage(feed.room, entry));
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

    private void deliver(Feed feed, String streamId, ChatMessage message) {
        broker.deliverLocally(Topic.room(feed.room), FrameCodec.encode(message));
        advance(feed, streamId);
    }

    /** Sets the position and runs what waited for it (acks). */
    private static void advance(Feed feed, String streamId) {
        feed.position = streamId;
        while (!feed.pending.isEmpty() && StreamIds.compare(feed.pending.firstKey(), streamId) <= 0) {
            feed.pending.pollFirstEntry().getValue().forEach(Runnable::run);
        }
    }
}
