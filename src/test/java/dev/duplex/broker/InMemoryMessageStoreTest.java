package dev.duplex.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.duplex.message.ServerFrame.ChatMessage;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** docs/PROTOCOL.md "History and resume": what the store keeps and replays. */
class InMemoryMessageStoreTest {

    private static final Instant TS = Instant.parse("2026-11-22T10:00:00Z");
    private final InMemoryMessageStore store = new InMemoryMessageStore(new MessageIds(Clock.systemUTC()), 5, 3);

    @Test
    void idsIncreaseInAppendOrder() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            ids.add(store.append("r", "alice", "m" + i, TS).id());
        }
        List<String> sorted = new ArrayList<>(ids);
        sorted.sort(null);
        assertEquals(sorted, ids);
    }

    @Test
    void keepsTheLastNPerRoom() {
        for (int i = 0; i < 8; i++) {
            store.append("r", "alice", "m" + i, TS);
        }
        assertEquals(List.of("m3", "m4", "m5", "m6", "m7"), texts(store.latest("r", 50)));
        assertEquals(List.of("m6", "m7"), texts(store.latest("r", 2)));
    }

    @Test
    void replaysEverythingAfterAnIdWithoutGapWhileKept() {
        List<ChatMessage> all = append("r", 4);
        MessageStore.Replay replay = store.after("r", all.get(1).id());
        assertEquals(List.of("m2", "m3"), texts(replay.messages()));
        assertFalse(replay.gap());
        assertEquals(List.of(), store.after("r", all.get(3).id()).messages(), "nothing after the newest");
    }

    @Test
    void reportsAGapWhenMessagesAfterTheIdWereDropped() {
        List<ChatMessage> all = append("r", 9);
        MessageStore.Replay replay = store.after("r", all.get(1).id());
        assertTrue(replay.gap(), "m2 and m3 were dropped");
        assertEquals(List.of("m4", "m5", "m6", "m7", "m8"), texts(replay.messages()));
        assertFalse(store.after("r", all.get(3).id()).gap(), "the last dropped one was already seen");
    }

    @Test
    void pagesBackwardsOldestFirst() {
        List<ChatMessage> all = append("r", 5);
        assertEquals(List.of("m1", "m2"), texts(store.before("r", all.get(3).id(), 2)));
        assertEquals(List.of("m0", "m1", "m2"), texts(store.before("r", all.get(3).id(), 50)));
        assertEquals(List.of(), texts(store.before("r", all.get(0).id(), 50)));
    }

    @Test
    void roomsAreSeparateAndUnknownRoomsAreEmpty() {
        append("a", 2);
        assertEquals(List.of(), store.latest("b", 10));
        assertEquals(List.of(), store.after("b", "0").messages());
        assertFalse(store.after("b", "0").gap());
    }

    @Test
    void forgetsTheLeastRecentlyUsedRoomBeyondTheCap() {
        append("a", 1);
        append("b", 1);
        append("c", 1);
        store.latest("a", 1); // a is now more recent than b
        append("d", 1);
        assertEquals(1, store.latest("a", 10).size());
        assertEquals(0, store.latest("b", 10).size());
    }

    private List<ChatMessage> append(String room, int count) {
        List<ChatMessage> messages = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            messages.add(store.append(room, "alice", "m" + i, TS));
        }
        return messages;
    }

    private static List<String> texts(List<ChatMessage> messages) {
        return messages.stream().map(ChatMessage::text).toList();
    }
}
