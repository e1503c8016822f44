package dev.duplex.protocol;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The sub-protocols Duplex speaks, in the server's order of preference, and the handler of each.
 * Looking up a name with no handler is a programming error and fails loudly.
 */
public final class SubProtocols {

    public static final String SUPERCHAT = "superchat";
    public static final String CHAT = "chat";

    private final Map<String, SubProtocolHandler> handlers = new LinkedHashMap<>();

    public SubProtocols(List<SubProtocolHandler> handlers) {
        for (SubProtocolHandler handler : handlers) {
            if (this.handlers.putIfAbsent(handler.name(), handler) != null) {
                throw new IllegalArgumentException("two handlers for sub-protocol " + handler.name());
            }
        }
    }

    /** Names of the supported sub-protocols, for close reasons and documentation. */
    public List<String> names() {
        return List.copyOf(handlers.keySet());
    }

    /** The handler of a negotiated sub-protocol. */
    public SubProtocolHandler find(String name) {
        SubProtocolHandler handler = handlers.get(name);
        if (handler == null) {
            throw new IllegalStateException("no handler for sub-protocol '" + name + "'; known: " + names());
        }
        return handler;
    }

    /**
     * The first sub-protocol in the client's offer that the server supports, or {@code ""} when
     * there is none. Entries are split on commas because some containers pass the header unsplit.
     */
    public static String negotiate(List<String> supported, List<String> requested) {
        List<String> offered = new ArrayList<>();
        for (String entry : requested) {
            for (String token : entry.split(",")) {
                String trimmed = token.trim();
                if (!trimmed.isEmpty()) {
                    offered.add(trimmed);
                }
            }
        }
        for (String candidate : offered) {
            if (supported.contains(candidate)) {
                return candidate;
            }
        }
        return "";
    }
}
