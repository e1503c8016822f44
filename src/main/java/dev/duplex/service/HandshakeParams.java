package dev.duplex.service;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The {@code name} and {@code room} query parameters of the handshake, validated
 * (docs/PROTOCOL.md, "Connecting").
 */
public record HandshakeParams(String name, String room) {

    public static final String DEFAULT_ROOM = "lobby";
    public static final int MAX_NAME_LENGTH = 32;
    private static final Pattern ROOM = Pattern.compile("[a-z0-9-]{1,32}");

    /** Validates the raw query parameters; throws with a client-facing reason when invalid. */
    public static HandshakeParams parse(Map<String, List<String>> query) throws InvalidParameter {
        return new HandshakeParams(name(first(query, "name")), room(first(query, "room")));
    }

    /** A validated room name, for parameters and frames alike. */
    public static boolean isValidRoom(String room) {
        return room != null && ROOM.matcher(room).matches();
    }

    private static String name(String raw) throws InvalidParameter {
        if (raw == null) {
            throw new InvalidParameter("name is required");
        }
        String name = raw.strip();
        if (name.isEmpty()) {
            throw new InvalidParameter("name must not be blank");
        }
        if (name.codePointCount(0, name.length()) > MAX_NAME_LENGTH) {
            throw new InvalidParameter("name must be at most " + MAX_NAME_LENGTH + " characters");
        }
        if (name.codePoints().anyMatch(Character::isISOControl)) {
            throw new InvalidParameter("name must not contain control characters");
        }
        return name;
    }

    private static String room(String raw) throws InvalidParameter {
        if (raw == null || raw.isEmpty()) {
            return DEFAULT_ROOM;
        }
        if (!isValidRoom(raw)) {
            throw new InvalidParameter("room must be 1-32 of a-z, 0-9 and -");
        }
        return raw;
    }

    private static String first(Map<String, List<String>> query, String key) {
        List<String> values = query.get(key);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** A query parameter the server refuses; the message becomes the close reason. */
    public static final class InvalidParameter extends Exception {
        public InvalidParameter(String message) {
            super(message, null, false, false);
        }
    }
}
