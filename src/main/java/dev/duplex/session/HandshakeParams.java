package dev.duplex.session;

import dev.duplex.service.RoomService;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The {@code name}, {@code room} and {@code since} query parameters of the handshake, validated
 * (docs/PROTOCOL.md, "Connecting").
 */
public record HandshakeParams(String name, String room, String since) {

    public static final String DEFAULT_ROOM = "lobby";
    public static final int MAX_NAME_LENGTH = 32;

    /**
     * Validates the handshake's raw (still percent-encoded) query string; throws with a
     * client-facing reason when invalid. The query is decoded here as UTF-8 because containers
     * disagree on the charset of their own parameter maps (Payara uses ISO-8859-1).
     */
    public static HandshakeParams parse(String rawQuery) throws InvalidParameter {
        return parse(rawQuery, null);
    }

    /**
     * As {@link #parse(String)}, but when the container authenticated the handshake the user's
     * principal name is the name, and the {@code name} parameter is ignored: clients cannot pick
     * someone else's name.
     */
    public static HandshakeParams parse(String rawQuery, String principalName) throws InvalidParameter {
        Map<String, String> query = decodeQuery(rawQuery);
        String since = query.get("since");
        // A container principal passes the same name rules: the name travels in frames and over
        // the cluster bus, whose fields are separated by newlines.
        String name = name(principalName != null ? principalName : query.get("name"));
        return new HandshakeParams(name, room(query.get("room")), since == null || since.isEmpty() ? null : since);
    }

    /** The first value of each parameter, decoded as UTF-8 form encoding ({@code +} is a space). */
    static Map<String, String> decodeQuery(String rawQuery) throws InvalidParameter {
        Map<String, String> values = new HashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return values;
        }
        for (String pair : rawQuery.split("&")) {
            int equals = pair.indexOf('=');
            String key = equals < 0 ? pair : pair.substring(0, equals);
            String value = equals < 0 ? "" : pair.substring(equals + 1);
            try {
                values.putIfAbsent(URLDecoder.decode(key, StandardCharsets.UTF_8),
                        URLDecoder.decode(value, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw new InvalidParameter("query string has a malformed percent-escape");
            }
        }
        return values;
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
        if (!RoomService.isValidRoom(raw)) {
            throw new InvalidParameter("room must be 1-32 of a-z, 0-9 and -");
        }
        return raw;
    }

    /** A query parameter the server refuses; the message becomes the close reason. */
    public static final class InvalidParameter extends Exception {
        public InvalidParameter(String message) {
            super(message, null, false, false);
        }
    }
}
