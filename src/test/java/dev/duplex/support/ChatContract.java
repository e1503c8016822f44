package dev.duplex.support;

import static dev.duplex.support.ChatTestClient.chatUri;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.JsonObject;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The WebSocket contract of docs/PROTOCOL.md, written once and run against any server: in-process
 * on Tyrus and deployed on Payara Micro. Each test uses its own room, so tests never see each
 * other's traffic.
 */
public abstract class ChatContract {

    /** {@code ws://host:port/context/}, ending in a slash. */
    protected abstract URI wsBase();

    protected static String freshRoom() {
        return "t-" + UUID.randomUUID().toString().substring(0, 8);
    }

    // PROTOCOL.md "Sub-protocols": the first offered protocol the server supports wins.
    @Test
    void negotiatesTheFirstOfferedSupportedProtocol() {
        assertNegotiated("chat", "chat", "superchat");
        assertNegotiated("superchat", "superchat", "chat");
        assertNegotiated("chat", "foo", "chat");
        assertNegotiated("superchat", "bar", "superchat", "chat");
    }

    // PROTOCOL.md "Sub-protocols": nothing agreed closes with 4002 naming the supported ones.
    @Test
    void closesWith4002WhenNoProtocolIsAgreed() {
        for (String[] offer : new String[][] {{}, {"foo"}, {"CHAT", "super-chat"}}) {
            try (ChatTestClient client = ChatTestClient.connect(chatUri(wsBase(), "alice", null), offer)) {
                ChatTestClient.Closed closed = client.awaitClose();
                assertEquals(4002, closed.code(), String.join(",", offer));
                assertTrue(closed.reason().contains("superchat") && closed.reason().contains("chat"), closed.reason());
                assertEquals(0, client.pending(), "no frame before the close");
            }
        }
    }

    // PROTOCOL.md "Connecting": name and room rules, 4001 with a reason saying what is wrong.
    @Test
    void closesWith4001OnInvalidParameters() {
        assertClosedWith4001(null, null, "name");
        assertClosedWith4001("", null, "name");
        assertClosedWith4001("   ", null, "name");
        assertClosedWith4001("x".repeat(33), null, "name");
        assertClosedWith4001("bad\u0007name", null, "name");
        assertClosedWith4001("alice", "Lobby", "room");
        assertClosedWith4001("alice", "has space", "room");
        assertClosedWith4001("alice", "r".repeat(33), "room");
    }

    // PROTOCOL.md "Server frames / welcome".
    @Test
    void welcomesWithProtocolTrimmedNameAndRoom() {
        String longest = "\u00e9".repeat(32);
        try (ChatTestClient client = ChatTestClient.connect(chatUri(wsBase(), "  alice  ", null), "chat")) {
            JsonObject welcome = client.expect("welcome");
            assertEquals("chat", welcome.getString("protocol"));
            assertEquals("alice", welcome.getString("name"));
            assertEquals("lobby", welcome.getString("room"));
        }
        String room = freshRoom();
        try (ChatTestClient client = ChatTestClient.connect(chatUri(wsBase(), longest, room), "superchat")) {
            JsonObject welcome = client.expect("welcome");
            assertEquals("superchat", welcome.getString("protocol"));
            assertEquals(longest, welcome.getString("name"));
            assertEquals(room, welcome.getString("room"));
        }
    }

    // PROTOCOL.md "Server frames / message": everyone in the room, the sender included.
    @Test
    void broadcastsToTheWholeRoomAcrossProtocols() {
        String room = freshRoom();
        try (ChatTestClient alice = ChatTestClient.join(wsBase(), "alice", room, "chat");
             ChatTestClient bob = ChatTestClient.join(wsBase(), "bob", room, "superchat")) {
            alice.say("hi <b>bob</b>");
            JsonObject own = alice.expect("message");
            JsonObject seen = bob.expect("message");
            assertEquals(own, seen);
            assertEquals(room, seen.getString("room"));
            assertEquals("alice", seen.getString("from"));
            assertEquals("hi <b>bob</b>", seen.getString("text"));
            Instant.parse(seen.getString("ts"));
            bob.say("hello");
            assertEquals("bob", alice.expect("message").getString("from"));
            assertTrue(bob.expect("message").getString("id").compareTo(seen.getString("id")) > 0);
        }
    }

    // PROTOCOL.md "Server frames / message": from is the server's word, never the client's.
    @Test
    void clientsCannotChooseFrom() {
        try (ChatTestClient mallory = ChatTestClient.join(wsBase(), "mallory", freshRoom(), "chat")) {
            mallory.send("{\"type\":\"message\",\"text\":\"I am bob\",\"from\":\"bob\",\"id\":\"1\"}");
            JsonObject message = mallory.expect("message");
            assertEquals("mallory", message.getString("from"));
            assertTrue(!"1".equals(message.getString("id")));
        }
    }

    // PROTOCOL.md "Rooms": a room's messages never reach another room.
    @Test
    void isolatesRooms() {
        String roomA = freshRoom();
        String roomB = freshRoom();
        try (ChatTestClient a = ChatTestClient.join(wsBase(), "alice", roomA, "chat");
             ChatTestClient b = ChatTestClient.join(wsBase(), "bob", roomB, "chat")) {
            a.say("only for A");
            assertEquals("only for A", a.expect("message").getString("text"));
            b.say("only for B");
            // Had A's message leaked, it would have been queued for b before b's own.
            assertEquals("only for B", b.expect("message").getString("text"));
        }
    }

    // PROTOCOL.md "Ordering": one sender's messages arrive complete and in order, ids increasing.
    @Test
    void deliversOneSendersMessagesCompleteAndInOrder() {
        String room = freshRoom();
        int count = 300;
        try (ChatTestClient sender = ChatTestClient.join(wsBase(), "alice", room, "chat");
             ChatTestClient receiver = ChatTestClient.join(wsBase(), "bob", room, "superchat")) {
            for (int i = 0; i < count; i++) {
                sender.say("m" + i);
            }
            for (ChatTestClient client : List.of(sender, receiver)) {
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < count; i++) {
                    JsonObject message = client.expect("message");
                    assertEquals("m" + i, message.getString("text"));
                    ids.add(message.getString("id"));
                }
                List<String> sorted = new ArrayList<>(ids);
                sorted.sort(null);
                assertEquals(sorted, ids, "ids increase in string order");
                assertEquals(count, ids.stream().distinct().count(), "ids are unique");
            }
        }
    }

    // PROTOCOL.md "Error codes": bad input costs an error frame, never the connection.
    @Test
    void answersBadInputWithErrorFramesAndCarriesOn() {
        String room = freshRoom();
        try (ChatTestClient alice = ChatTestClient.join(wsBase(), "alice", room, "chat");
             ChatTestClient bob = ChatTestClient.join(wsBase(), "bob", room, "chat")) {
            alice.send("{not json");
            alice.expectError("bad-json");
            alice.send("{\"type\":\"dance\"}");
            alice.expectError("unknown-type");
            alice.send("{\"type\":\"message\"}");
            alice.expectError("blank-text");
            alice.send("{\"type\":\"message\",\"text\":\" \\n\\t \"}");
            alice.expectError("blank-text");
            alice.say("x".repeat(4001));
            alice.expectError("too-long");
            alice.send("[1,2]");
            alice.expectError("bad-frame");
            alice.send("{\"text\":\"no type\"}");
            alice.expectError("bad-frame");
            alice.send("{\"type\":\"message\",\"text\":5}");
            alice.expectError("bad-frame");
            alice.sendBinary(new byte[] {1, 2, 3});
            alice.expectError("binary-unsupported");
            alice.say("y".repeat(4000));
            assertEquals(4000, alice.expect("message").getString("text").length());
            // bob saw none of the refused frames: his next frame is the accepted one.
            assertEquals(4000, bob.expect("message").getString("text").length());
        }
    }

    // PROTOCOL.md "Text": length counts characters as people do, so 4000 emoji fit.
    @Test
    void countsTextLengthInCharactersNotUtf16Units() {
        try (ChatTestClient alice = ChatTestClient.join(wsBase(), "alice", freshRoom(), "chat")) {
            alice.say("\uD83D\uDE00".repeat(4000));
            assertEquals(8000, alice.expect("message").getString("text").length());
        }
    }

    // PROTOCOL.md "Close codes": a frame over 64 KiB closes with 1009.
    @Test
    void closesWith1009OnFramesOver64KiB() {
        try (ChatTestClient alice = ChatTestClient.join(wsBase(), "alice", freshRoom(), "chat")) {
            alice.say("x".repeat(70_000));
            assertEquals(1009, alice.awaitClose().code());
        }
    }

    // PROTOCOL.md "Client frames / ping".
    @Test
    void answersPingWithPong() {
        try (ChatTestClient alice = ChatTestClient.join(wsBase(), "alice", freshRoom(), "superchat")) {
            alice.send("{\"type\":\"ping\"}");
            alice.expect("pong");
        }
    }

    private void assertNegotiated(String expected, String... offer) {
        try (ChatTestClient client = ChatTestClient.connect(chatUri(wsBase(), "alice", null), offer)) {
            assertEquals(expected, client.protocol());
            assertEquals(expected, client.expect("welcome").getString("protocol"));
        }
    }

    private void assertClosedWith4001(String name, String room, String mentioned) {
        try (ChatTestClient client = ChatTestClient.connect(chatUri(wsBase(), name, room), "chat")) {
            ChatTestClient.Closed closed = client.awaitClose();
            assertEquals(4001, closed.code(), "name=" + name + " room=" + room);
            assertTrue(closed.reason().contains(mentioned), closed.reason());
            assertEquals(0, client.pending(), "no frame before the close");
        }
    }
}
