package dev.duplex.service;

import dev.duplex.broker.Broker;
import dev.duplex.broker.Topic;
import java.util.Collection;

/** This node's broker subscriber: hands each published frame to the local sessions it is for. */
public final class LocalDelivery implements Broker.Subscriber {

    private final ConnectionRegistry registry;
    private final RoomService rooms;

    public LocalDelivery(ConnectionRegistry registry, RoomService rooms) {
        this.registry = registry;
        this.rooms = rooms;
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
        for (ChatConnection connection : candidates) {
            if (!filtered || wanted(topic, connection)) {
                connection.send(frame);
            }
        }
    }

    private static boolean wanted(Topic topic, ChatConnection connection) {
        return (!topic.superchatOnly() || connection.superchat())
                && !connection.id().equals(topic.exceptSession())
                && !connection.name().equals(topic.exceptName());
    }
}
