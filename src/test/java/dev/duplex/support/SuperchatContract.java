package dev.duplex.support;

import static dev.duplex.support.ChatTestClient.chatUri;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The {@code superchat} part of docs/PROTOCOL.md, on top of the {@code chat} contract, run against
 * any server like {@link ChatContract}.
 */
public abstract class SuperchatContract extends ChatContract {

    // PROTOCOL.md "superchat / welcome": limits clients can adapt to.
    @Test
    void superchatWelcomeCarriesLimitsAndChatsDoesNot() {
        try (ChatTestClient rich = ChatTestClient.connect(chatUri(wsBase(), "alice", freshRoom()), "superchat");
             ChatTestClient simple = ChatTestClient.connect(chatUri(wsBase(), "bob", freshRoom()), "chat")) {
            JsonObject limits = rich.expect("welcome").getJsonObject("limits");
            assertEquals(4000, limits.getInt("maxTextChars"));
            assertEquals(65536, limits.getInt("maxFrameBytes"));
            assertEquals(50, limits.getInt("historyOnJoin"));
            assertEquals(200, limits.getInt("historyPageMax"));
            assertTrue(limits.getInt("historyPerRoom") > 0 && limits.getInt("maxRoomsPerSession") > 0);
            assertFalse(simple.expect("welcome").containsKey("limits"));
        }
    }

    // PROTOCOL.md "superchat / frames": chat answers the rich frames with unknown-type.
    @Test
    void chatRefusesSuperchatFrames() {
        try (ChatTestClient simple = ChatTestClient.join(wsBase(), "bob", freshRoom(), "chat")) {
            simple.sendFrame("join", "room", freshRoom());
            simple.expectError("unknown-type");
            simple.sendFrame("direct", "to", "bob", "text", "hi");
            simple.expectError("unknown-type");
            simple.sendFrame("history", "room", "lobby");
            simple.expectError("unknown-type");
        }
    }

    // PROTOCOL.md "superchat / join, leave, presence".
    @Test
    void joinLeaveAndPresenceAcrossRooms() {
        String home = freshRoom();
        String other = freshRoom();
        try (ChatTestClient alice = ChatTestClient.join(wsBase(), "alice", home, "superchat");
             ChatTestClient bob = ChatTestClient.join(wsBase(), "bob", other, "superchat")) {
            bob.sendFrame("join", "room", home);
            JsonObject joined = bob.expect("joined");
            assertEquals(home, joined.getString("room"));
            assertEquals(List.of("alice", "bob"), strings(joined, "members"));
            JsonObject presence = alice.expect("presence");
            assertEquals("join", presence.getString("event"));
            assertEquals("bob", presence.getString("name"));
            assertEquals(List.of("alice", "bob"), strings(presence, "members"));

            bob.sendFrame("message", "room", home, "text", "from the other room", "ref", "b-1");
            assertEquals(home, bob.expect("message").getString("room"));
            assertEquals("b-1", bob.expect("ack").getString("ref"));
            assertEquals("from the other room", alice.expect("message").getString("text"));

            bob.sendFrame("leave", "room", home);
            assertEquals(home, bob.expect("left").getString("room"));
            JsonObject leave = alice.expect("presence");
            assertEquals("leave", leave.getString("event"));
            assertEquals(List.of("alice"), strings(leave, "members"));

            bob.sendFrame("message", "room", home, "text", "gone", "ref", "b-2");
            JsonObject refused = bob.expectError("not-joined");
            assertEquals("b-2", refused.getString("ref"));
            bob.sendFrame("join", "room", "Not Valid");
            bob.expectError("invalid-room");
            bob.sendFrame("join", "room", other);
            bob.expectError("already-joined");
        }
    }

    // PROTOCOL.md "superchat / presence": a name with two tabs is one member.
    @Test
    void twoTabsOfOneNameAreOneMember() {
        String room = freshRoom();
        try (ChatTestClient watcher = ChatTestClient.join(wsBase(), "watcher", room, "superchat");
             ChatTestClient marker = ChatTestClient.join(wsBase(), "marker", room, "chat")) {
            assertEquals("marker", watcher.expect("presence").getString("name"), "chat sessions are members too");
            ChatTestClient tab1 = ChatTestClient.join(wsBase(), "bob", room, "superchat");
            assertEquals("bob", watcher.expect("presence").getString("name"));
            ChatTestClient tab2 = ChatTestClient.connect(chatUri(wsBase(), "bob", room), "superchat");
            tab2.expect("welcome");
            assertEquals(List.of("bob", "marker", "watcher"), strings(tab2.expect("joined"), "members"));
            tab1.close();
            marker.say("tick");
            // No presence for the second tab arriving or the first leaving: the marker comes next.
            assertEquals("tick", watcher.expect("message").getString("text"));
            tab2.close();
            JsonObject leave = watcher.expect("presence");
            assertEquals("leave", leave.getString("event"));
            assertEquals(List.of("marker", "watcher"), strings(leave, "members"));
        }
    }

    // PROTOCOL.md "superchat / message": ack after the echo, errors carry the ref.
    @Test
    void messagesAreAcknowledgedAndErrorsCarryTheRef() {
        String room = freshRoom();
        try (ChatTestClient alice = ChatTestClient.join(wsBase(), "alice", room, "superchat")) {
            alice.sendFrame("message", "text", "hi", "ref", "c-17");
            JsonObject message = alice.expect("message");
            JsonObject ack = alice.expect("ack");
            assertEquals("c-17", ack.getString("ref"));
            assertEquals(message.getString("id"), ack.getString("id"));
            alice.sendFrame("message", "text", " ", "ref", "c-18");
            assertEquals("c-18", alice.expectError("blank-text").getString("ref"));
        }
    }

    // PROTOCOL.md "superchat / direct": every session of both users but the sending one.
    @Test
    void directMessagesReachEverySessionOfTheRecipient() {
        try (ChatTestClient alice = ChatTestClient.join(wsBase(), "alice", freshRoom(), "superchat");
             ChatTestClient alice2 = ChatTestClient.join(wsBase(), "alice", freshRoom(), "superchat");
             ChatTestClient bob1 = ChatTestClient.join(wsBase(), "bob", freshRoom(), "superchat");
             ChatTestClient bob2 = ChatTestClient.join(wsBase(), "bob", freshRoom(), "superchat")) {
            alice.sendFrame("direct", "to", "bob", "text", "psst", "ref", "d-1");
            JsonObject ack = alice.expect("ack");
            assertEquals("d-1", ack.getString("ref"));
            for (ChatTestClient receiver : List.of(bob1, bob2, alice2)) {
                JsonObject direct = receiver.expect("direct");
                assertEquals(ack.getString("id"), direct.getString("id"));
                assertEquals("alice", direct.getString("from"));
                assertEquals("bob", direct.getString("to"));
                assertEquals("psst", direct.getString("text"));
                assertNotNull(direct.getString("ts"));
            }
            alice.sendFrame("direct", "to", "nobody-" + freshRoom(), "text", "hello?", "ref", "d-2");
            assertEquals("d-2", alice.expectError("no-such-user").getString("ref"));
        }
    }

    // PROTOCOL.md "superchat / typing": to the other members only, never stored.
    @Test
    void typingReachesTheOtherMembers() {
        String room = freshRoom();
        try (ChatTestClient alice = ChatTestClient.join(wsBase(), "alice", room, "superchat");
             ChatTestClient bob = ChatTestClient.join(wsBase(), "bob", room, "superchat")) {
            alice.expect("presence");
            bob.sendFrame("typing", "room", room);
            JsonObject typing = alice.expect("typing");
            assertEquals("bob", typing.getString("from"));
            assertEquals(room, typing.getString("room"));
            bob.say("done typing");
            assertEquals("message", bob.next().getString("type"), "no typing echo to the typist");
        }
    }

    // PROTOCOL.md "superchat / history": pages oldest first, before an id.
    @Test
    void historyPagesBackwards() {
        String room = freshRoom();
        try (ChatTestClient alice = ChatTestClient.join(wsBase(), "alice", room, "superchat")) {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                alice.sendFrame("message", "text", "m" + i, "ref", "r" + i);
                ids.add(alice.expect("message").getString("id"));
                alice.expect("ack");
            }
            alice.sendFrame("history", "room", room, "before", ids.get(3), "limit", 2);
            JsonObject page = alice.expect("history");
            assertEquals(List.of("m1", "m2"), page.getJsonArray("messages").getValuesAs(JsonObject.class)
                    .stream().map(m -> m.getString("text")).toList());
            alice.sendFrame("history", "room", room);
            assertEquals(5, alice.expect("history").getJsonArray("messages").size());
        }
    }

    // PROTOCOL.md "History and resume": a dropped client resumes with since — nothing lost, nothing twice.
    @Test
    void resumeAfterADroppedConnectionLosesNothingAndRepeatsNothing() throws Exception {
        String room = freshRoom();
        int batch = 100;
        ExecutorService sender = Executors.newSingleThreadExecutor();
        try (ChatTestClient bob = ChatTestClient.join(wsBase(), "bob", room, "chat")) {
            ChatTestClient alice = ChatTestClient.join(wsBase(), "alice", room, "superchat");
            List<String> seen = new ArrayList<>();
            String lastId = null;
            for (int i = 0; i < batch; i++) {
                bob.say("m" + i);
                JsonObject message = alice.expect("message");
                seen.add(message.getString("text"));
                lastId = message.getString("id");
            }
            alice.drop();
            for (int i = batch; i < 2 * batch; i++) {
                bob.say("m" + i); // while alice is away
            }
            Future<?> stillSending = sender.submit(() -> {
                for (int i = 2 * batch; i < 3 * batch; i++) {
                    bob.say("m" + i); // while alice comes back
                }
            });
            try (ChatTestClient back = ChatTestClient.connect(chatUri(wsBase(), "alice", room, lastId), "superchat")) {
                back.expect("welcome");
                back.expect("joined");
                while (seen.size() < 3 * batch) {
                    seen.add(back.expect("message").getString("text"));
                }
                stillSending.get(ChatTestClient.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                bob.say("end");
                assertEquals("end", back.expect("message").getString("text"), "nothing more, nothing twice");
            }
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 3 * batch; i++) {
                expected.add("m" + i);
            }
            assertEquals(expected, seen);
        } finally {
            sender.shutdownNow();
        }
    }

    // PROTOCOL.md "Ordering": 20 clients x 200 messages, every receiver gets all, per-sender in order.
    @Test
    void concurrentSendersAreAllDeliveredInPerSenderOrder() throws Exception {
        String room = freshRoom();
        int clients = 20;
        int perClient = 200;
        List<ChatTestClient> all = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            for (int c = 0; c < clients; c++) {
                all.add(ChatTestClient.join(wsBase(), "u" + c, room, c % 2 == 0 ? "superchat" : "chat"));
            }
            for (int c = 0; c < clients; c++) {
                ChatTestClient client = all.get(c);
                // Superchat clients hear of every later joiner, chat ones too (they are members).
                for (int later = c + 1; later < clients; later++) {
                    if (c % 2 == 0) {
                        client.expect("presence");
                    }
                }
            }
            List<Future<?>> sends = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                ChatTestClient client = all.get(c);
                int sender = c;
                sends.add(pool.submit(() -> {
                    for (int i = 0; i < perClient; i++) {
                        client.say(sender + ":" + i);
                    }
                }));
            }
            for (Future<?> send : sends) {
                send.get(60, TimeUnit.SECONDS);
            }
            for (ChatTestClient receiver : all) {
                Map<String, Integer> nextFromSender = new HashMap<>();
                Set<String> ids = new HashSet<>();
                String previousId = "";
                for (int n = 0; n < clients * perClient; n++) {
                    JsonObject message = receiver.expectIgnoring("message", "ack");
                    String[] parts = message.getString("text").split(":");
                    int expectedIndex = nextFromSender.getOrDefault(parts[0], 0);
                    assertEquals(expectedIndex, Integer.parseInt(parts[1]), "per-sender order from " + parts[0]);
                    nextFromSender.put(parts[0], expectedIndex + 1);
                    String id = message.getString("id");
                    assertTrue(id.compareTo(previousId) > 0, "ids increase for every receiver");
                    previousId = id;
                    assertTrue(ids.add(id));
                }
                assertEquals(clients, nextFromSender.size());
                nextFromSender.values().forEach(count -> assertEquals(perClient, count));
            }
        } finally {
            pool.shutdownNow();
            all.forEach(ChatTestClient::close);
        }
    }

    private static List<String> strings(JsonObject frame, String field) {
        return frame.getJsonArray(field).getValuesAs(JsonString.class).stream().map(JsonString::getString).toList();
    }
}
