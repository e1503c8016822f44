package dev.duplex.session;

import dev.duplex.config.Origins;
import java.util.Set;

/**
 * Which browser origins may open a WebSocket (cross-site WebSocket hijacking defence): the page's
 * own host, plus the configured list. Requests without {@code Origin} come from non-browser
 * clients and are allowed; browsers always send it.
 */
public final class OriginPolicy {

    private final Set<String> allowed;

    public OriginPolicy(Set<String> allowedOrigins) {
        this.allowed = Set.copyOf(allowedOrigins);
    }

    /**
     * @param origin the {@code Origin} header, or null when absent
     * @param host   the request's {@code Host} header, or null when the container did not expose it
     */
    public boolean allows(String origin, String host) {
        if (origin == null) {
            return true;
        }
        if (allowed.contains("*")) {
            return true;
        }
        String normalized = Origins.normalize(origin);
        if (normalized == null) {
            return false; // "null" (sandboxed frames, file:) or garbage
        }
        if (allowed.contains(normalized)) {
            return true;
        }
        if (host == null) {
            return false;
        }
        String scheme = normalized.substring(0, normalized.indexOf(':'));
        return Origins.authority(normalized).equals(Origins.normalizeHost(host, scheme));
    }
}
