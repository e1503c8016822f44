package dev.duplex.message;

import jakarta.json.bind.annotation.JsonbSubtype;
import jakarta.json.bind.annotation.JsonbTypeInfo;

/**
 * A frame a client sends, told apart on the wire by its {@code type} field
 * (see docs/PROTOCOL.md, "Client frames").
 *
 * <p>{@link Rejected} never appears on the wire: it is what decoding yields for input that is not
 * a valid frame, so that bad input becomes an {@code error} frame instead of a container-specific
 * decode failure that some servers answer by closing the connection.
 */
@JsonbTypeInfo(key = "type", value = {
        @JsonbSubtype(alias = "message", type = ClientFrame.SendMessage.class),
        @JsonbSubtype(alias = "ping", type = ClientFrame.Ping.class)
})
public sealed interface ClientFrame {

    /** {@code {"type":"message","text":"hi"}}: post a chat message to the session's room. */
    record SendMessage(String text) implements ClientFrame {
    }

    /** {@code {"type":"ping"}}: an application-level liveness probe, answered with {@code pong}. */
    record Ping() implements ClientFrame {
    }

    /** Input that could not be decoded into a frame; carries the error to report. */
    record Rejected(String code, String message) implements ClientFrame {
    }
}
