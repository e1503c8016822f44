package dev.duplex.broker;

import dev.duplex.message.ServerFrame.ChatMessage;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A single-node {@link MessageStore}: the last N messages of each room in memory. Rooms beyond
 * {@code maxRooms} lose their history least-recently-used first, so room names cannot grow memory
 * without bound.
 */
public final class InMemoryMessageStore implements MessageStore {

    private final MessageIds ids;
    private final int keptPerRoom;
    private final Map<String, RoomHistory> rooms;

    public InMemoryMessageStore(MessageIds ids, int keptPerRoom, int maxRooms) {
        this.ids = ids;
        this.keptPerRoom = keptPerRoom;
        this.rooms = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, RoomHistory> eldest) {
                return size() > maxRooms;
            }
        };
    }

    @Override
    public ChatMessage append(String room, String from, String text, Instant ts) {
        ChatMessage message = new ChatMessage(ids.next(), room, from, text, ts);
        history(room, true).add(message, keptPerRoom);
        return message;
    }

    @Override
    public Replay after(String room, String sinceId) {
        RoomHistory history = history(room, false);
        return history == null ? new Replay(List.of(), false) : history.after(sinceId);
    }

    @Override
    public List<ChatMessage> latest(String room, int limit) {
        RoomHistory history = history(room, false);
        return history == null ? List.of() : history.before(null, limit);
    }

    @Override
    public List<ChatMessage> before(String room, String beforeId, int limit) {
        RoomHistory history = history(room, false);
        return history == null ? List.of() : history.before(beforeId, limit);
    }

    @Override
    public int keptPerRoom() {
        return keptPerRoom;
    }

    private RoomHistory history(String room, boolean create) {
        synchronized (rooms) {
            RoomHistory history = rooms.get(room);
            if (history == null && create) {
                history = new RoomHistory();
                rooms.put(room, history);
            }
            return history;
        }
    }

    /** One room's messages, oldest first, and the newest id that was dropped to keep the bound. */
    private static final class RoomHistory {
        private final ArrayDeque<ChatMessage> messages = new ArrayDeque<>();
        private String lastDroppedId;

        synchronized void add(ChatMessage message, int bound) {
            messages.addLast(message);
            while (messages.size() > bound) {
                lastDroppedId = messages.removeFirst().id();
            }
        }

        synchronized Replay after(String sinceId) {
            List<ChatMessage> newer = new ArrayList<>();
            Iterator<ChatMessage> newestFirst = messages.descendingIterator();
            while (newestFirst.hasNext()) {
                ChatMessage message = newestFirst.next();
                if (message.id().compareTo(sinceId) <= 0) {
                    break;
                }
                newer.add(message);
            }
            java.util.Collections.reverse(newer);
            boolean gap = lastDroppedId != null && lastDroppedId.compareTo(sinceId) > 0;
            return new Replay(newer, gap);
        }

        synchronized List<ChatMessage> before(String beforeId, int limit) {
            List<ChatMessage> page = new ArrayList<>(Math.min(limit, messages.size()));
            Iterator<ChatMessage> newestFirst = messages.descendingIterator();
            while (newestFirst.hasNext() && page.size() < limit) {
                ChatMessage message = newestFirst.next();
                if (beforeId == null || message.id().compareTo(beforeId) < 0) {
                    page.add(message);
                }
            }
            java.util.Collections.reverse(page);
            return page;
        }
    }
}
