package dev.duplex.message;

import jakarta.json.bind.annotation.JsonbSubtype;
import jakarta.json.bind.annotation.JsonbTypeInfo;

/**
 * A frame a client sends, told apart on the wire by its {@code type} field
 * (see docs/PROTOCOL.md, "Client frames"). Which types a session may send depends on its
 * sub-protocol; the decoder knows them all.
 *
 * <p>{@link Rejected} never appears on the wire: it is what decoding yields for input that is not
 * a valid frame, so that bad input becomes an {@code error} frame instead of a container-specific
 * decode failure that some servers answer by closing the connection.
 */
@JsonbTypeInfo(key = "type", value = {
        @JsonbSubtype(alias = "message", type = ClientFrame.SendMessage.class),
        @JsonbSubtype(alias = "ping", type = ClientFrame.Ping.class),
        @JsonbSubtype(alias = "join", type = ClientFrame.Join.class),
        @JsonbSubtype(alias = "leave", type = ClientFrame.Leave.class),
        @JsonbSubtype(alias = "direct", type = ClientFrame.Direct.class),
        @JsonbSubtype(alias = "typing", type = ClientFrame.Typing.class),
        @JsonbSubtype(alias = "history", type = ClientFrame.History.class)
})
public sealed interface ClientFrame {

    /**
     * {@code {"type":"message","text":"hi"}}: post to a room. {@code chat} posts to its one room;
     * {@code superchat} names the room (default: its first) and may add its own {@code ref}.
     */
    record SendMessage(String text, String room, String ref) implements ClientFrame {
    }

    /** {@code {"type":"ping"}}: an application-level liveness probe, answered with {@code pong}. */
    record Ping() implements ClientFrame {
    }

    /** {@code superchat}: join another room, optionally replaying what came after {@code since}. */
    record Join(String room, String since) implements ClientFrame {
    }

    /** {@code superchat}: leave a room. */
    record Leave(String room) implements ClientFrame {
    }

    /** {@code superchat}: a direct message to every session of user {@code to}. */
    record Direct(String to, String text, String ref) implements ClientFrame {
    }

    /** {@code superchat}: "I am typing" in a room; relayed, never stored. */
    record Typing(String room) implements ClientFrame {
    }

    /** {@code superchat}: a page of a room's stored messages before {@code before} (or the latest). */
    record History(String room, String before, Integer limit) implements ClientFrame {
    }

    /** Input that could not be decoded into a frame; carries the error to report. */
    record Rejected(String code, String message) implements ClientFrame {
    }
}
