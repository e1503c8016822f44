package dev.duplex.session;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.duplex.config.DuplexConfig;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** docs/PROTOCOL.md "Origin check". */
class OriginPolicyTest {

    private final OriginPolicy policy = new OriginPolicy(
            DuplexConfig.of(Map.of("allowed.origins", "https://Chat.Example.com/, http://localhost:3000")).allowedOrigins());

    @Test
    void allowsClientsWithoutOrigin() {
        assertTrue(policy.allows(null, "localhost:8080"));
        assertTrue(policy.allows(null, null));
    }

    @Test
    void allowsTheRequestsOwnHost() {
        assertTrue(policy.allows("http://localhost:8080", "localhost:8080"));
        assertTrue(policy.allows("HTTP://LocalHost:8080", "localhost:8080"));
        assertTrue(policy.allows("https://chat.internal", "chat.internal:443"));
        assertTrue(policy.allows("http://chat.internal:80", "chat.internal"));
    }

    @Test
    void allowsListedOriginsWhateverTheHost() {
        assertTrue(policy.allows("https://chat.example.com", "backend:8080"));
        assertTrue(policy.allows("https://chat.example.com:443", null));
        assertTrue(policy.allows("http://localhost:3000", "localhost:8080"));
    }

    @Test
    void refusesEverythingElse() {
        assertFalse(policy.allows("http://evil.example", "localhost:8080"));
        assertFalse(policy.allows("http://localhost:8081", "localhost:8080"));
        assertFalse(policy.allows("http://chat.example.com", "backend:8080"), "scheme matters");
        assertFalse(policy.allows("null", "localhost:8080"));
        assertFalse(policy.allows("file://", "localhost:8080"));
        assertFalse(policy.allows("not a url", "localhost:8080"));
        assertFalse(policy.allows("http://localhost:8080", null), "unknown host: only the list counts");
    }

    @Test
    void starAllowsAnyOrigin() {
        OriginPolicy open = new OriginPolicy(Set.of("*"));
        assertTrue(open.allows("http://anything.example", "localhost:8080"));
    }
}
