package dev.duplex.service;

import java.util.Collection;
import java.util.Collections;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The open connections of this node, and each user's connections by name. */
public final class ConnectionRegistry {

    private final Set<ChatConnection> all = ConcurrentHashMap.newKeySet();
    private final ConcurrentHashMap<String, Set<ChatConnection>> byName = new ConcurrentHashMap<>();
    /** Told of every {@code superchat} session opening and closing (the cluster's user directory); may be null. */
    private volatile Listener listener;

    /** Hears {@code superchat} sessions come and go, so other nodes can find their users. */
    public interface Listener {
        void opened(String name);

        void closed(String name);
    }

    public void listen(Listener listener) {
        this.listener = listener;
    }

    public void add(ChatConnection connection) {
        all.add(connection);
        byName.compute(connection.name(), (name, sessions) -> {
            Set<ChatConnection> set = sessions != null ? sessions : ConcurrentHashMap.newKeySet();
            set.add(connection);
            return set;
        });
        Listener current = listener;
        if (current != null && connection.superchat()) {
            current.opened(connection.name());
        }
    }

    public void remove(ChatConnection connection) {
        Listener current = listener;
        if (all.remove(connection) && current != null && connection.superchat()) {
            current.closed(connection.name());
        }
        byName.computeIfPresent(connection.name(), (name, sessions) -> {
            sessions.remove(connection);
            return sessions.isEmpty() ? null : sessions;
        });
    }

    public Collection<ChatConnection> all() {
        return Collections.unmodifiableSet(all);
    }

    /** Every open session of the user called {@code name} on this node. */
    public Collection<ChatConnection> sessionsOf(String name) {
        Set<ChatConnection> sessions = byName.get(name);
        return sessions == null ? Set.of() : Collections.unmodifiableSet(sessions);
    }
}
