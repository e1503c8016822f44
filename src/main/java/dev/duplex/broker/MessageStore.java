package dev.duplex.broker;

import dev.duplex.message.ServerFrame.ChatMessage;
import java.time.Instant;
import java.util.List;

/**
 * Each room's recent messages, bounded per room. The store assigns message ids, which increase in
 * string order within a room, so a clustered store can use its own ids (e.g. a stream's).
 * Callers serialise appends per room; reads may run concurrently with appends.
 */
public interface MessageStore {

    /** Stores a new message and returns it with its id. */
    ChatMessage append(String room, String from, String text, Instant ts);

    /** Every kept message of the room with an id after {@code sinceId}, oldest first. */
    Replay after(String room, String sinceId);

    /** The newest {@code limit} messages of the room, oldest first. */
    List<ChatMessage> latest(String room, int limit);

    /** Up to {@code limit} messages with ids before {@code beforeId}, oldest first. */
    List<ChatMessage> before(String room, String beforeId, int limit);

    /**
     * Like {@link #after(String, String)}, but only messages up to {@code upToId} (inclusive; null:
     * none). A clustered node replays up to what it has delivered and sends the rest live.
     */
    default Replay after(String room, String sinceId, String upToId) {
        Replay replay = after(room, sinceId);
        return new Replay(replay.messages().stream()
                .filter(m -> upToId != null && m.id().compareTo(upToId) <= 0).toList(), replay.gap());
    }

    /** How many messages each room keeps. */
    int keptPerRoom();

    /**
     * Messages to replay, and whether some that came after the requested id are no longer kept
     * (the client must be told it has a gap).
     */
    record Replay(List<ChatMessage> messages, boolean gap) {
    }
}
