package dev.duplex.service;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One room's members on this node. Membership changes, and every publish to the room, happen
 * while holding the room's monitor, so a joining session sees each message exactly once: either in
 * the replay it gets while joining or live afterwards. Delivery reads {@link #sessions()} without
 * the lock.
 */
final class Room {

    private final String name;
    private final Set<ChatConnection> sessions = ConcurrentHashMap.newKeySet();
    /** Sessions per member name: a name with two tabs is one member until both leave. */
    private final TreeMap<String, Integer> sessionsPerName = new TreeMap<>();
    /** Sessions here that speak {@code superchat}, the only ones presence frames are for. */
    private int superchatSessions;
    /** Set when the room emptied and left the room map; a joiner holding it must look again. */
    private boolean retired;

    Room(String name) {
        this.name = name;
    }

    String name() {
        return name;
    }

    Set<ChatConnection> sessions() {
        return sessions;
    }

    /** Adds a session; returns true when its name was not a member before. Caller holds the lock. */
    boolean add(ChatConnection connection) {
        if (sessions.add(connection) && connection.superchat()) {
            superchatSessions++;
        }
        return sessionsPerName.merge(connection.name(), 1, Integer::sum) == 1;
    }

    /** Removes a session; returns true when that was its name's last one. Caller holds the lock. */
    boolean remove(ChatConnection connection) {
        if (!sessions.remove(connection)) {
            return false;
        }
        if (connection.superchat()) {
            superchatSessions--;
        }
        return sessionsPerName.computeIfPresent(connection.name(), (n, count) -> count == 1 ? null : count - 1) == null;
    }

    /** Whether {@code name} has a session here. Caller holds the lock. */
    boolean hasName(String name) {
        return sessionsPerName.containsKey(name);
    }

    /** Member names in alphabetical order. Caller holds the lock. */
    List<String> members() {
        return new ArrayList<>(sessionsPerName.keySet());
    }

    /** Whether a {@code superchat} session other than {@code subject} is here. Caller holds the lock. */
    boolean hasSuperchatBesides(ChatConnection subject) {
        int others = superchatSessions - (subject.superchat() && sessions.contains(subject) ? 1 : 0);
        return others > 0;
    }

    boolean isEmpty() {
        return sessions.isEmpty();
    }

    boolean retired() {
        return retired;
    }

    void retire() {
        retired = true;
    }
}
