package dev.duplex.connection;

import dev.duplex.message.FrameKind;
import java.util.Collection;
import java.util.Collections;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The open connections of this node, and each user's connections by name. */
public final class ConnectionRegistry {

    private final Set<Connection> all = ConcurrentHashMap.newKeySet();
    private final ConcurrentHashMap<String, Set<Connection>> byName = new ConcurrentHashMap<>();
    /** Told of every session that takes directs opening and closing (the user directory); may be null. */
    private volatile Listener listener;

    /** Hears sessions that take directs come and go, so that other nodes can find their users. */
    public interface Listener {
        void opened(String name);

        void closed(String name);
    }

    public void listen(Listener listener) {
        this.listener = listener;
    }

    public void add(Connection connection) {
        all.add(connection);
        byName.compute(connection.name(), (name, sessions) -> {
            Set<Connection> set = sessions != null ? sessions : ConcurrentHashMap.newKeySet();
            set.add(connection);
            return set;
        });
        Listener current = listener;
        if (current != null && connection.receives(FrameKind.DIRECT)) {
            current.opened(connection.name());
        }
    }

    public void remove(Connection connection) {
        Listener current = listener;
        if (all.remove(connection) && current != null && connection.receives(FrameKind.DIRECT)) {
            current.closed(connection.name());
        }
        byName.computeIfPresent(connection.name(), (name, sessions) -> {
            sessions.remove(connection);
            return sessions.isEmpty() ? null : sessions;
        });
    }

    public Collection<Connection> all() {
        return Collections.unmodifiableSet(all);
    }

    public int size() {
        return all.size();
    }

    /** Every open session of the user called {@code name} on this node. */
    public Collection<Connection> sessionsOf(String name) {
        Set<Connection> sessions = byName.get(name);
        return sessions == null ? Set.of() : Collections.unmodifiableSet(sessions);
    }
}
