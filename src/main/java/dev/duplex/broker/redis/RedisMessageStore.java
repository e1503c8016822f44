package dev.duplex.broker.redis;

import dev.duplex.broker.MessageStore;
import dev.duplex.broker.StreamIds;
import dev.duplex.message.ServerFrame.ChatMessage;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Each room's log: a Redis stream trimmed to the history bound, whose entry ids are the message
 * ids ({@link StreamIds}). Besides {@link MessageStore}, the reads delivery needs: a room's last
 * entry and a batch of entries read atomically with the id of the last trimmed one.
 */
final class RedisMessageStore implements MessageStore {

    private static final LuaScript APPEND = LuaScript.load("append");
    private static final LuaScript READ = LuaScript.load("read");
    /** After every id Redis can make, so "after x up to this" reads to the end of the log. */
    private static final String LAST_ID = "99999999999999999999";

    private final RedisConnection redis;
    private final int keptPerRoom;

    RedisMessageStore(RedisConnection redis, int keptPerRoom) {
        this.redis = redis;
        this.keptPerRoom = keptPerRoom;
    }

    @Override
    public ChatMessage append(String room, String from, String text, Instant ts) {
        String id = redis.call(c -> APPEND.run(c, ScriptOutputType.VALUE, new String[] {Keys.log(room),
                Keys.dropped(room)}, Integer.toString(keptPerRoom), from, text, Long.toString(ts.toEpochMilli()), room,
                Keys.BUS));
        return new ChatMessage(StreamIds.toMessageId(id), room, from, text, ts);
    }

    @Override
    public Replay after(String room, String sinceId) {
        return after(room, sinceId, LAST_ID);
    }

    @Override
    public Replay after(String room, String sinceId, String upToId) {
        String since = StreamIds.toStreamId(sinceId);
        String upTo = upToId == null ? null : StreamIds.toStreamId(upToId);
        // upToId null: nothing delivered here yet, so nothing to replay; just the gap check.
        Slice slice = upToId == null
                ? new Slice(lastTrimmed(room), List.of())
                : read(room, since == null ? "-" : StreamIds.next(since), upTo == null ? "+" : upTo, keptPerRoom);
        String maxDeleted = slice.lastTrimmed();
        boolean gap = !StreamIds.ZERO.equals(maxDeleted) && (since != null
                ? StreamIds.compare(maxDeleted, since) > 0
                : StreamIds.toMessageId(maxDeleted).compareTo(sinceId) > 0);
        List<ChatMessage> messages = new ArrayList<>();
        for (Object entry : slice.entries()) {
            ChatMessage message = toMessage(room, entry);
            if (since != null || message.id().compareTo(sinceId) > 0) {
                messages.add(message);
            }
        }
        return new Replay(messages, gap);
    }

    @Override
    public List<ChatMessage> latest(String room, int limit) {
        return newest(room, Range.Boundary.unbounded(), limit, null);
    }

    @Override
    public List<ChatMessage> before(String room, String beforeId, int limit) {
        String before = StreamIds.toStreamId(beforeId);
        if (before == null) {
            return newest(room, Range.Boundary.unbounded(), limit, beforeId);
        }
        if (StreamIds.ZERO.equals(before)) {
            return List.of();
        }
        return newest(room, Range.Boundary.including(StreamIds.previous(before)), limit, null);
    }

    @Override
    public int keptPerRoom() {
        return keptPerRoom;
    }

    /** Up to {@code limit} entries at or below {@code upper}, oldest first; filtered by a foreign id. */
    private List<ChatMessage> newest(String room, Range.Boundary<String> upper, int limit, String beforeForeign) {
        List<StreamMessage<String, String>> entries = redis.call(c -> c.xrevrange(Keys.log(room),
                Range.from(Range.Boundary.unbounded(), upper),
                Limit.create(0, beforeForeign == null ? limit : keptPerRoom)));
        List<ChatMessage> page = new ArrayList<>(entries.size());
        for (StreamMessage<String, String> entry : entries) {
            ChatMessage message = toMessage(room, entry.getId(), entry.getBody());
            if (beforeForeign == null || message.id().compareTo(beforeForeign) < 0) {
                page.add(message);
                if (page.size() == limit) {
                    break;
                }
            }
        }
        Collections.reverse(page);
        return page;
    }

    /** The room's last entry, or the last one trimmed if none is kept, or 0-0. */
    String lastStreamId(String room) {
        List<StreamMessage<String, String>> last = redis.call(c -> c.xrevrange(Keys.log(room), Range.unbounded(),
                Limit.create(0, 1)));
        if (!last.isEmpty()) {
            return last.get(0).getId();
        }
        return lastTrimmed(room);
    }

    private String lastTrimmed(String room) {
        String dropped = redis.call(c -> c.get(Keys.dropped(room)));
        return dropped == null ? StreamIds.ZERO : dropped;
    }

    /** Entries of a room's log and the id of the last entry trimmed from it, read atomically. */
    record Slice(String lastTrimmed, List<Object> entries) {
    }

    /** The log's entries from {@code from} to {@code to} (XRANGE bounds), at most {@code count}. */
    @SuppressWarnings("unchecked")
    Slice read(String room, String from, String to, int count) {
        List<Object> result = redis.call(c -> READ.run(c, ScriptOutputType.MULTI,
                new String[] {Keys.log(room), Keys.dropped(room)}, from, to, Integer.toString(count)));
        String dropped = (String) result.get(0);
        return new Slice(dropped == null || dropped.isEmpty() ? StreamIds.ZERO : dropped,
                (List<Object>) result.get(1));
    }

    /** The stream id of one entry of a {@link Slice}. */
    static String streamId(Object entry) {
        return (String) ((List<?>) entry).get(0);
    }

    /** One entry of a {@link Slice}: {id, [field, value, ...]}. */
    @SuppressWarnings("unchecked")
    static ChatMessage toMessage(String room, Object entry) {
        List<Object> pair = (List<Object>) entry;
        List<Object> fields = (List<Object>) pair.get(1);
        Map<String, String> body = new HashMap<>();
        for (int i = 0; i + 1 < fields.size(); i += 2) {
            body.put((String) fields.get(i), (String) fields.get(i + 1));
        }
        return toMessage(room, (String) pair.get(0), body);
    }

    private static ChatMessage toMessage(String room, String streamId, Map<String, String> body) {
        return new ChatMessage(StreamIds.toMessageId(streamId), room, body.get("f"), body.get("x"),
                Instant.ofEpochMilli(Long.parseLong(body.get("t"))));
    }
}
