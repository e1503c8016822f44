package dev.duplex.service;

import dev.duplex.broker.Broker;
import dev.duplex.broker.Topic;
import java.util.Collection;
import java.util.Collections;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The open connections of this node, indexed by room, and the broker subscriber that hands each
 * published frame to the local members of its topic.
 */
public final class ConnectionRegistry implements Broker.Subscriber {

    private final Set<ChatConnection> all = ConcurrentHashMap.newKeySet();
    private final ConcurrentHashMap<String, Set<ChatConnection>> byRoom = new ConcurrentHashMap<>();

    public void add(ChatConnection connection) {
        all.add(connection);
        byRoom.compute(connection.room(), (room, members) -> {
            Set<ChatConnection> set = members != null ? members : ConcurrentHashMap.newKeySet();
            set.add(connection);
            return set;
        });
    }

    public void remove(ChatConnection connection) {
        all.remove(connection);
        // Drop a room's set with its last member so that rooms nobody is in cost nothing.
        byRoom.computeIfPresent(connection.room(), (room, members) -> {
            members.remove(connection);
            return members.isEmpty() ? null : members;
        });
    }

    public Collection<ChatConnection> all() {
        return Collections.unmodifiableSet(all);
    }

    public Collection<ChatConnection> inRoom(String room) {
        Set<ChatConnection> members = byRoom.get(room);
        return members == null ? Set.of() : Collections.unmodifiableSet(members);
    }

    @Override
    public void deliver(Topic topic, String encodedFrame) {
        Collection<ChatConnection> recipients = topic.isEveryone() ? all : inRoom(topic.room());
        for (ChatConnection connection : recipients) {
            connection.send(encodedFrame);
        }
    }
}
