package dev.duplex.broker.redis;

/**
 * Redis key and channel names (docs/SCALING.md). Every node of a cluster must use the same ones.
 * A room's keys share the hash tag {@code {room}}, so its scripts stay on one shard of a Redis Cluster.
 */
final class Keys {

    /** The pub/sub channel every node subscribes to. */
    static final String BUS = "duplex:bus";

    private Keys() {
    }

    /** The room's log, a stream. */
    static String log(String room) {
        return "duplex:{" + room + "}:log";
    }

    /** The id of the last entry trimmed from the room's log. */
    static String dropped(String room) {
        return "duplex:{" + room + "}:dropped";
    }

    /** The room's members: a sorted set of {@code name\nnode} scored by expiry. */
    static String presence(String room) {
        return "duplex:{" + room + "}:presence";
    }

    /** The nodes a user has {@code superchat} sessions on, scored by expiry. */
    static String user(String name) {
        return "duplex:user:{" + name + "}";
    }
}
