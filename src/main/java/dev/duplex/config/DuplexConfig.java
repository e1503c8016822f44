package dev.duplex.config;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Every runtime setting of Duplex, read once at start-up.
 *
 * <p>A setting {@code foo.bar} comes from the system property {@code duplex.foo.bar} or, failing
 * that, the environment variable {@code DUPLEX_FOO_BAR}; the system property wins because it is
 * the more local of the two. The README lists every setting with its default.
 */
public final class DuplexConfig {

    /** Largest WebSocket frame the server accepts; larger ones are closed with 1009. Fixed by the protocol. */
    public static final int MAX_FRAME_BYTES = 64 * 1024;

    private final Optional<String> adminToken;
    private final Set<String> allowedOrigins;
    private final int maxTextLength;
    private final int sendBufferBytes;
    private final int sendTimeoutSeconds;
    private final int rateLimit;
    private final int rateBurst;
    private final int maxConnectionsPerAddress;
    private final int idleTimeoutSeconds;
    private final int historyPerRoom;
    private final int historyMaxRooms;
    private final int maxRoomsPerSession;
    private final Optional<String> redisUrl;
    private final SendMode sendMode;
    private final int fanoutThreads;

    /** How frames are handed to the container; see {@link #sendMode()}. */
    public enum SendMode {
        /** Streamed through the send writer on containers whose writer only queues, else {@code async}. */
        AUTO,
        /** Always {@code RemoteEndpoint.Async.sendText} with a completion handler. */
        ASYNC
    }

    private DuplexConfig(Function<String, String> lookup) {
        this.adminToken = Optional.ofNullable(lookup.apply("admin.token")).map(String::trim).filter(s -> !s.isEmpty());
        this.allowedOrigins = parseOrigins(lookup.apply("allowed.origins"));
        this.maxTextLength = intSetting(lookup, "max.text.chars", 4000, 1, MAX_FRAME_BYTES);
        this.sendBufferBytes = intSetting(lookup, "send.buffer.bytes", 1 << 20, MAX_FRAME_BYTES, Integer.MAX_VALUE);
        this.sendTimeoutSeconds = intSetting(lookup, "send.timeout.seconds", 10, 1, 3600);
        this.rateLimit = intSetting(lookup, "rate.limit", 20, 1, 1_000_000);
        this.rateBurst = intSetting(lookup, "rate.burst", 40, 0, 1_000_000);
        this.maxConnectionsPerAddress = intSetting(lookup, "max.connections.per.address", 200, 0, 1_000_000);
        this.idleTimeoutSeconds = intSetting(lookup, "idle.timeout.seconds", 60, 3, 86_400);
        this.historyPerRoom = intSetting(lookup, "history.per.room", 1000, 1, 1_000_000);
        this.historyMaxRooms = intSetting(lookup, "history.max.rooms", 10_000, 1, 10_000_000);
        this.maxRoomsPerSession = intSetting(lookup, "max.rooms.per.session", 20, 1, 10_000);
        this.sendMode = enumSetting(lookup, "send.mode", SendMode.AUTO, SendMode.class);
        this.fanoutThreads = intSetting(lookup, "fanout.threads", Runtime.getRuntime().availableProcessors(), 0, 256);
        this.redisUrl = Optional.ofNullable(lookup.apply("redis.url")).map(String::trim).filter(s -> !s.isEmpty());
        redisUrl.ifPresent(url -> {
            if (!url.startsWith("redis://") && !url.startsWith("rediss://")) {
                throw new IllegalArgumentException("duplex.redis.url must look like redis://host:port, was '" + url + "'");
            }
        });
    }

    /** Settings from this JVM's system properties and environment. */
    public static DuplexConfig fromEnvironment() {
        return from(System.getProperties(), System.getenv());
    }

    /** Settings from the given sources; system properties win over the environment. */
    public static DuplexConfig from(Properties systemProperties, Map<String, String> environment) {
        return new DuplexConfig(key -> {
            String fromProperty = systemProperties.getProperty("duplex." + key);
            if (fromProperty != null) {
                return fromProperty;
            }
            return environment.get("DUPLEX_" + key.replace('.', '_').toUpperCase(Locale.ROOT));
        });
    }

    /** Settings from {@code duplex.*} keys only, for tests and embedding. */
    public static DuplexConfig of(Map<String, String> settings) {
        Properties properties = new Properties();
        settings.forEach((key, value) -> properties.setProperty("duplex." + key, value));
        return from(properties, Map.of());
    }

    /** The bearer token that authorises operator notices; empty when notices are disabled. */
    public Optional<String> adminToken() {
        return adminToken;
    }

    /** Normalised origins allowed besides the request's own host; may contain {@code *}. */
    public Set<String> allowedOrigins() {
        return allowedOrigins;
    }

    /** Longest chat or notice text, in Unicode code points. */
    public int maxTextLength() {
        return maxTextLength;
    }

    /** UTF-8 bytes that may wait for one session before it counts as too slow. */
    public int sendBufferBytes() {
        return sendBufferBytes;
    }

    /** How long a frame may wait to be sent before its session counts as too slow. */
    public int sendTimeoutSeconds() {
        return sendTimeoutSeconds;
    }

    /** Inbound frames per second one session may keep up. */
    public int rateLimit() {
        return rateLimit;
    }

    /** Inbound frames one session may send at once above the rate; 0 turns rate limiting off. */
    public int rateBurst() {
        return rateBurst;
    }

    /** Open sessions one remote address may hold; 0 means no limit. */
    public int maxConnectionsPerAddress() {
        return maxConnectionsPerAddress;
    }

    /** A session silent for this long, even to pings, is closed. */
    public int idleTimeoutSeconds() {
        return idleTimeoutSeconds;
    }

    /** Messages each room keeps for replay and history. */
    public int historyPerRoom() {
        return historyPerRoom;
    }

    /** Rooms whose history is kept; beyond it the least recently used room's history goes. */
    public int historyMaxRooms() {
        return historyMaxRooms;
    }

    /** Rooms one {@code superchat} session may be in at once. */
    public int maxRoomsPerSession() {
        return maxRoomsPerSession;
    }

    /** Whether frames may be streamed where the container allows it cheaply, or always sent async. */
    public SendMode sendMode() {
        return sendMode;
    }

    /** Threads that send big broadcasts in parallel; 0 sends each on the publisher's thread. */
    public int fanoutThreads() {
        return fanoutThreads;
    }

    /** Redis to cluster through ({@code redis://host:port}); empty: a single node, in memory. */
    public Optional<String> redisUrl() {
        return redisUrl;
    }

    private static Set<String> parseOrigins(String raw) {
        if (raw == null || raw.isBlank()) {
            return Set.of();
        }
        return Arrays.stream(raw.split(","))
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .map(s -> s.equals("*") ? s : Origins.normalize(s))
                .filter(Objects::nonNull)
                .collect(Collectors.toCollection(LinkedHashSet::new));
    }

    private static <E extends Enum<E>> E enumSetting(Function<String, String> lookup, String key, E fallback,
            Class<E> type) {
        String raw = lookup.apply(key);
        if (raw == null || raw.isBlank()) {
            return fallback;
        }
        try {
            return Enum.valueOf(type, raw.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            String allowed = Arrays.stream(type.getEnumConstants())
                    .map(c -> c.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", "));
            throw new IllegalArgumentException("duplex." + key + " must be one of " + allowed + ", was '" + raw + "'", e);
        }
    }

    private static int intSetting(Function<String, String> lookup, String key, int fallback, int min, int max) {
        String raw = lookup.apply(key);
        if (raw == null || raw.isBlank()) {
            return fallback;
        }
        try {
            int value = Integer.parseInt(raw.trim());
            if (value < min || value > max) {
                throw new IllegalArgumentException(
                        "duplex." + key + " must be between " + min + " and " + max + ", was " + value);
            }
            return value;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("duplex." + key + " must be a whole number, was '" + raw + "'", e);
        }
    }
}
