package dev.duplex.service;

import dev.duplex.broker.Broker;
import dev.duplex.broker.Published;
import dev.duplex.broker.Topic;
import dev.duplex.connection.Connection;
import dev.duplex.connection.ConnectionRegistry;
import dev.duplex.connection.OutboundFrame;
import dev.duplex.connection.OutboundQueue;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * This node's broker subscriber: queues each published frame for the local sessions it is for.
 *
 * <p>A frame is queued to every recipient on the delivering thread, possibly under the room's
 * delivery lock, which fixes its order relative to the room's other frames; queueing never writes
 * or closes (a recipient judged too slow is closed off this path). The sending it returns starts
 * afterwards through {@link FanOut}, on more than one thread for big rooms.
 */
public final class LocalDelivery implements Broker.Subscriber {

    private final ConnectionRegistry registry;
    private final RoomService rooms;
    private final FanOut fanOut;

    /** Sends on the delivering thread only. */
    public LocalDelivery(ConnectionRegistry registry, RoomService rooms) {
        this(registry, rooms, new FanOut(0, null));
    }

    public LocalDelivery(ConnectionRegistry registry, RoomService rooms, FanOut fanOut) {
        this.registry = registry;
        this.rooms = rooms;
        this.fanOut = fanOut;
    }

    @Override
    public Runnable deliver(Topic topic, Published published) {
        Collection<Connection> candidates = switch (topic.scope()) {
            case ROOM -> rooms.sessionsIn(topic.key());
            case USER -> registry.sessionsOf(topic.key());
            case EVERYONE -> registry.all();
        };
        OutboundFrame frame = null;
        List<Connection> queued = null;
        for (Connection connection : candidates) {
            if (!wanted(topic, connection)) {
                continue;
            }
            if (frame == null) {
                frame = OutboundFrame.of(published.text()); // encoded once, and only if someone takes it
                queued = new ArrayList<>(candidates.size());
            }
            if (connection.enqueue(frame) == OutboundQueue.Verdict.QUEUED) {
                queued.add(connection);
            }
        }
        if (queued == null || queued.isEmpty()) {
            return NOTHING_TO_SEND;
        }
        List<Connection> recipients = queued;
        return () -> fanOut.drain(recipients);
    }

    private static boolean wanted(Topic topic, Connection connection) {
        return connection.receives(topic.kind())
                && (topic.exceptConnection() == null || !connection.id().equals(topic.exceptConnection()))
                && (topic.exceptName() == null || !connection.name().equals(topic.exceptName()));
    }
}
