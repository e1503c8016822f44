package dev.duplex.message;

import jakarta.json.bind.annotation.JsonbPropertyOrder;
import jakarta.json.bind.annotation.JsonbSubtype;
import jakarta.json.bind.annotation.JsonbTypeInfo;
import java.time.Instant;

/**
 * A frame the server sends, told apart on the wire by its {@code type} field
 * (see docs/PROTOCOL.md, "Server frames"). Absent (null) fields are left out of the JSON.
 */
@JsonbTypeInfo(key = "type", value = {
        @JsonbSubtype(alias = "welcome", type = ServerFrame.Welcome.class),
        @JsonbSubtype(alias = "message", type = ServerFrame.ChatMessage.class),
        @JsonbSubtype(alias = "notice", type = ServerFrame.Notice.class),
        @JsonbSubtype(alias = "error", type = ServerFrame.Error.class),
        @JsonbSubtype(alias = "pong", type = ServerFrame.Pong.class)
})
public sealed interface ServerFrame {

    /** First frame of every session: who the server thinks you are and what it agreed on. */
    @JsonbPropertyOrder({"protocol", "name", "room"})
    record Welcome(String protocol, String name, String room) implements ServerFrame {
    }

    /** A chat message as delivered to every member of its room, the sender included. */
    @JsonbPropertyOrder({"id", "room", "from", "text", "ts"})
    record ChatMessage(String id, String room, String from, String text, Instant ts) implements ServerFrame {
    }

    /** An operator notice, delivered to every session in every room. */
    @JsonbPropertyOrder({"id", "text", "ts"})
    record Notice(String id, String text, Instant ts) implements ServerFrame {
    }

    /** Something the client sent was refused; the session stays open. */
    @JsonbPropertyOrder({"code", "message"})
    record Error(String code, String message) implements ServerFrame {
    }

    /** Answer to a client {@code ping}. */
    record Pong() implements ServerFrame {
    }
}
