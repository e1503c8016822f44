package dev.duplex.broker.redis;

import dev.duplex.broker.Broker;
import dev.duplex.broker.Published;
import dev.duplex.broker.SubscriberSlot;
import dev.duplex.broker.Topic;
import dev.duplex.codec.FrameCodec;
import dev.duplex.message.FrameKind;
import dev.duplex.message.ServerFrame;

/**
 * Frames for sessions on every node (presence, typing, directs, notices) over the bus, and the
 * local end of the bus: the subscriber this node's room messages and frames are handed to.
 *
 * <p>On the bus a frame is {@code T\nscope\nkey\nkind\nexceptConnection\nexceptName\nframe},
 * empty for null; room messages come from the append script instead (see {@link RoomFeeds}).
 */
final class RedisBroker implements Broker {

    static final String FRAME = "T\n";

    private final RedisConnection redis;
    private final SubscriberSlot subscriber = new SubscriberSlot();

    RedisBroker(RedisConnection redis) {
        this.redis = redis;
    }

    @Override
    public void publish(Topic topic, ServerFrame frame) {
        if (redis.closed()) {
            throw new IllegalStateException("broker is closed");
        }
        String payload = FRAME + topic.scope() + "\n" + nullToEmpty(topic.key()) + "\n"
                + topic.kind() + "\n" + nullToEmpty(topic.exceptConnection()) + "\n"
                + nullToEmpty(topic.exceptName()) + "\n" + FrameCodec.encode(frame);
        redis.call(c -> c.publish(Keys.BUS, payload));
    }

    @Override
    public AutoCloseable subscribe(Subscriber newSubscriber) {
        return subscriber.subscribe(newSubscriber);
    }

    @Override
    public void close() {
        subscriber.clear();
    }

    /** A frame from the bus, on the delivery thread. */
    void receive(String payload) {
        String[] f = payload.split("\n", 7);
        Topic.Scope scope = Topic.Scope.valueOf(f[1]);
        Topic topic = new Topic(scope, scope == Topic.Scope.EVERYONE ? null : f[2], FrameKind.valueOf(f[3]),
                f[4].isEmpty() ? null : f[4], f[5].isEmpty() ? null : f[5]);
        deliverLocally(topic, Published.encoded(f[6])).run(); // no lock is held here
    }

    /** Queues a frame for this node's sessions; returns what starts sending it (see {@link Subscriber}). */
    Runnable deliverLocally(Topic topic, Published frame) {
        return subscriber.deliver(topic, frame);
    }

    private static String nullToEmpty(String value) {
        return value == null ? "" : value;
    }
}
