package dev.duplex.message;

import jakarta.json.bind.annotation.JsonbPropertyOrder;
import jakarta.json.bind.annotation.JsonbSubtype;
import jakarta.json.bind.annotation.JsonbTypeInfo;
import java.time.Instant;
import java.util.List;

/**
 * A frame the server sends, told apart on the wire by its {@code type} field
 * (see docs/PROTOCOL.md, "Server frames"). Absent (null) fields are left out of the JSON.
 */
@JsonbTypeInfo(key = "type", value = {
        @JsonbSubtype(alias = "welcome", type = ServerFrame.Welcome.class),
        @JsonbSubtype(alias = "message", type = ServerFrame.ChatMessage.class),
        @JsonbSubtype(alias = "notice", type = ServerFrame.Notice.class),
        @JsonbSubtype(alias = "error", type = ServerFrame.Error.class),
        @JsonbSubtype(alias = "pong", type = ServerFrame.Pong.class),
        @JsonbSubtype(alias = "joined", type = ServerFrame.Joined.class),
        @JsonbSubtype(alias = "left", type = ServerFrame.Left.class),
        @JsonbSubtype(alias = "ack", type = ServerFrame.Ack.class),
        @JsonbSubtype(alias = "direct", type = ServerFrame.DirectMessage.class),
        @JsonbSubtype(alias = "typing", type = ServerFrame.Typing.class),
        @JsonbSubtype(alias = "history", type = ServerFrame.History.class),
        @JsonbSubtype(alias = "presence", type = ServerFrame.Presence.class)
})
public sealed interface ServerFrame {

    /**
     * First frame of every session: who the server thinks you are and what it agreed on.
     * {@code superchat} sessions also get the server's {@code limits}.
     */
    @JsonbPropertyOrder({"protocol", "name", "room", "limits"})
    record Welcome(String protocol, String name, String room, Limits limits) implements ServerFrame {
        public Welcome(String protocol, String name, String room) {
            this(protocol, name, room, null);
        }
    }

    /** The limits a {@code superchat} client can adapt to (docs/PROTOCOL.md, "Limits"). */
    @JsonbPropertyOrder({"maxTextChars", "maxFrameBytes", "maxRoomsPerSession", "historyPerRoom",
            "historyOnJoin", "historyPageMax", "typingPerSecond", "messagesPerSecond", "messageBurst",
            "idleTimeoutSeconds"})
    record Limits(int maxTextChars, int maxFrameBytes, int maxRoomsPerSession, int historyPerRoom,
                  int historyOnJoin, int historyPageMax, int typingPerSecond, int messagesPerSecond,
                  int messageBurst, int idleTimeoutSeconds) {
    }

    /** A chat message as delivered to every member of its room, the sender included. */
    @JsonbPropertyOrder({"id", "room", "from", "text", "ts"})
    record ChatMessage(String id, String room, String from, String text, Instant ts) implements ServerFrame {
    }

    /** An operator notice, delivered to every session in every room. */
    @JsonbPropertyOrder({"id", "text", "ts"})
    record Notice(String id, String text, Instant ts) implements ServerFrame {
    }

    /**
     * Something the client sent was refused; the session stays open. {@code retryAfterMs} comes
     * with {@code rate-limited}.
     */
    @JsonbPropertyOrder({"code", "message", "ref", "room", "retryAfterMs"})
    record Error(String code, String message, String ref, String room, Long retryAfterMs) implements ServerFrame {
        public Error(String code, String message) {
            this(code, message, null, null, null);
        }

        public Error(String code, String message, String ref, String room) {
            this(code, message, ref, room, null);
        }
    }

    /** Answer to a client {@code ping}. */
    record Pong() implements ServerFrame {
    }

    /** {@code superchat}: the session is now in {@code room}, whose members are listed. */
    @JsonbPropertyOrder({"room", "members"})
    record Joined(String room, List<String> members) implements ServerFrame {
    }

    /** {@code superchat}: the session left {@code room}. */
    record Left(String room) implements ServerFrame {
    }

    /** {@code superchat}: the message or direct the client called {@code ref} was accepted as {@code id}. */
    @JsonbPropertyOrder({"ref", "id"})
    record Ack(String ref, String id) implements ServerFrame {
    }

    /** {@code superchat}: a direct message, to every session of both users but the sending one. */
    @JsonbPropertyOrder({"id", "from", "to", "text", "ts"})
    record DirectMessage(String id, String from, String to, String text, Instant ts) implements ServerFrame {
    }

    /** {@code superchat}: someone else in the room is typing. */
    @JsonbPropertyOrder({"room", "from"})
    record Typing(String room, String from) implements ServerFrame {
    }

    /** {@code superchat}: a page of stored messages, oldest first. */
    @JsonbPropertyOrder({"room", "messages"})
    record History(String room, List<ChatMessage> messages) implements ServerFrame {
    }

    /** {@code superchat}: a member joined or left a room; {@code members} is the room afterwards. */
    @JsonbPropertyOrder({"room", "event", "name", "members"})
    record Presence(String room, String event, String name, List<String> members) implements ServerFrame {
    }
}
