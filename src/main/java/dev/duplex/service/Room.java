package dev.duplex.service;

import dev.duplex.broker.Topic;
import dev.duplex.connection.Connection;
import dev.duplex.message.FrameKind;
import dev.duplex.message.ServerFrame;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

/**
 * One room's members on this node. Membership changes happen while holding the room's monitor;
 * delivery reads {@link #sessions()} without it. Presence announcements are decided under the
 * monitor but published after it is released, in the order they were decided.
 */
final class Room {

    private final String name;
    private final Set<Connection> sessions = ConcurrentHashMap.newKeySet();
    /** Sessions per member name: a name with two tabs is one member until both leave. */
    private final TreeMap<String, Integer> sessionsPerName = new TreeMap<>();
    /** Set when the room emptied and left the room map; a joiner holding it must look again. */
    private boolean retired;
    private final ConcurrentLinkedQueue<Announcement> announcements = new ConcurrentLinkedQueue<>();
    /** Threads that asked to publish announcements; the one that raised it from 0 publishes for all. */
    private final AtomicInteger publishers = new AtomicInteger();

    /** A presence frame for the room, and the connection that caused it (it learns from {@code joined}). */
    private record Announcement(ServerFrame.Presence presence, String subject) {
    }

    Room(String name) {
        this.name = name;
    }

    String name() {
        return name;
    }

    Set<Connection> sessions() {
        return sessions;
    }

    boolean contains(Connection connection) {
        return sessions.contains(connection);
    }

    /** Adds a session; returns true when its name was not a member before. Caller holds the lock. */
    boolean add(Connection connection) {
        sessions.add(connection);
        return sessionsPerName.merge(connection.name(), 1, Integer::sum) == 1;
    }

    /** Removes a session; returns true when that was its name's last one. Caller holds the lock. */
    boolean remove(Connection connection) {
        if (!sessions.remove(connection)) {
            return false;
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

    boolean isEmpty() {
        return sessions.isEmpty();
    }

    boolean retired() {
        return retired;
    }

    void retire() {
        retired = true;
    }

    /** Queues a presence announcement. Caller holds the lock, which fixes the order. */
    void announceLater(String event, Connection subject, List<String> members) {
        announcements.add(new Announcement(new ServerFrame.Presence(name, event, subject.name(), members), subject.id()));
    }

    /**
     * Publishes the queued announcements in order, without the lock. Whoever queued one calls
     * this afterwards; if another thread is publishing already, it takes ours too, so nobody waits.
     * {@code publish} must not throw.
     */
    void publishAnnouncements(BiConsumer<Topic, ServerFrame> publish) {
        if (publishers.getAndIncrement() != 0) {
            return;
        }
        int missed = 1;
        do {
            Announcement next;
            while ((next = announcements.poll()) != null) {
                publish.accept(Topic.room(name, FrameKind.PRESENCE).skipConnection(next.subject()), next.presence());
            }
            missed = publishers.addAndGet(-missed);
        } while (missed != 0);
    }
}
