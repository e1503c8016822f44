package dev.duplex.service;

import dev.duplex.broker.Broker;
import dev.duplex.broker.Topic;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * This node's broker subscriber: hands each published frame to the local sessions it is for.
 *
 * <p>A frame is first queued to every recipient, on the publishing thread and (for a room) under
 * the room's lock, which fixes its order relative to the room's other frames. Sending starts
 * afterwards through {@link FanOut}, on more than one thread for big rooms.
 */
public final class LocalDelivery implements Broker.Subscriber {

    private final ConnectionRegistry registry;
    private final RoomService rooms;
    private final FanOut fanOut;

    /** Sends on the publishing thread only. */
    public LocalDelivery(ConnectionRegistry registry, RoomService rooms) {
        this(registry, rooms, new FanOut(0, null));
    }

    LocalDelivery(ConnectionRegistry registry, RoomService rooms, FanOut fanOut) {
        this.registry = registry;
        this.rooms = rooms;
        this.fanOut = fanOut;
    }

    @Override
    public void deliver(Topic topic, String encodedFrame) {
        Collection<ChatConnection> candidates = switch (topic.scope()) {
            case ROOM -> rooms.sessionsIn(topic.key());
            case USER -> registry.sessionsOf(topic.key());
            case EVERYONE -> registry.all();
        };
        OutboundFrame frame = OutboundFrame.of(encodedFrame);
        boolean filtered = topic.superchatOnly() || topic.exceptSession() != null || topic.exceptName() != null;
        List<ChatConnection> queued = new ArrayList<>(candidates.size());
        for (ChatConnection connection : candidates) {
            if ((!filtered || wanted(topic, connection)) && connection.enqueue(frame)) {
                queued.add(connection);
            }
        }
        fanOut.drain(queued);
    }

    private static boolean wanted(Topic topic, ChatConnection connection) {
        return (!topic.superchatOnly() || connection.superchat())
                && !connection.id().equals(topic.exceptSession())
                && !connection.name().equals(topic.exceptName());
    }
}
