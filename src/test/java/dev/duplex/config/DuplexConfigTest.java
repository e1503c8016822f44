package dev.duplex.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DuplexConfigTest {

    @Test
    void defaults() {
        DuplexConfig config = DuplexConfig.from(new Properties(), Map.of());
        assertEquals(Optional.empty(), config.adminToken());
        assertEquals(Set.of(), config.allowedOrigins());
        assertEquals(4000, config.maxTextLength());
        assertEquals(1 << 20, config.sendBufferBytes());
        assertEquals(10, config.sendTimeoutSeconds());
        assertEquals(20, config.rateLimit());
        assertEquals(40, config.rateBurst());
        assertEquals(200, config.maxConnectionsPerAddress());
        assertEquals(60, config.idleTimeoutSeconds());
        assertEquals(1000, config.historyPerRoom());
        assertEquals(20, config.maxRoomsPerSession());
        assertEquals(DuplexConfig.SendMode.AUTO, config.sendMode());
        assertEquals(Runtime.getRuntime().availableProcessors(), config.fanoutThreads());
    }

    @Test
    void readsEnvironmentAndLetsSystemPropertiesWin() {
        Properties properties = new Properties();
        properties.setProperty("duplex.admin.token", "from-property");
        DuplexConfig config = DuplexConfig.from(properties, Map.of(
                "DUPLEX_ADMIN_TOKEN", "from-env",
                "DUPLEX_ALLOWED_ORIGINS", "https://a.example, https://b.example:8443/",
                "DUPLEX_MAX_TEXT_CHARS", "500"));
        assertEquals(Optional.of("from-property"), config.adminToken());
        assertEquals(Set.of("https://a.example", "https://b.example:8443"), config.allowedOrigins());
        assertEquals(500, config.maxTextLength());
    }

    @Test
    void blankTokenMeansDisabled() {
        assertEquals(Optional.empty(), DuplexConfig.of(Map.of("admin.token", "  ")).adminToken());
    }

    @Test
    void refusesNonsenseNumbersWithTheSettingsName() {
        IllegalArgumentException notANumber = assertThrows(IllegalArgumentException.class,
                () -> DuplexConfig.of(Map.of("max.text.chars", "lots")));
        assertTrue(notANumber.getMessage().contains("duplex.max.text.chars"));
        IllegalArgumentException tooSmall = assertThrows(IllegalArgumentException.class,
                () -> DuplexConfig.of(Map.of("idle.timeout.seconds", "1")));
        assertTrue(tooSmall.getMessage().contains("duplex.idle.timeout.seconds"));
        assertThrows(IllegalArgumentException.class, () -> DuplexConfig.of(Map.of("rate.burst", "-1")));
        assertThrows(IllegalArgumentException.class, () -> DuplexConfig.of(Map.of("send.buffer.bytes", "1000")));
    }

    @Test
    void sendModeIsReadCaseInsensitivelyAndNonsenseNamesTheChoices() {
        assertEquals(DuplexConfig.SendMode.ASYNC, DuplexConfig.of(Map.of("send.mode", " Async ")).sendMode());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> DuplexConfig.of(Map.of("send.mode", "turbo")));
        assertEquals("duplex.send.mode must be one of auto, async, was 'turbo'", unknown.getMessage());
    }
}
