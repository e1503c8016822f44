package dev.duplex.broker.redis;

import dev.duplex.broker.Broker;
import dev.duplex.broker.Topic;

/**
 * Frames for sessions on every node (presence, typing, directs, notices) over the bus, and the
 * local end of the bus: the subscriber this node's room messages and frames are handed to.
 *
 * <p>On the bus a frame is {@code T\nscope\nkey\nsuperchatOnly\nexceptSession\nexceptName\nframe},
 * empty for null; room messages come from the append script instead (see {@link RoomFeeds}).
 */
final class RedisBroker implements Broker {

    static final String FRAME = "T\n";

    private final RedisConnection redis;
    private volatile Subscriber subscriber;

    RedisBroker(RedisConnection redis) {
        this.redis = redis;
    }

    @Override
    public void publish(Topic topic, String encodedFrame) {
        if (redis.closed()) {
            throw new IllegalStateException("broker is closed");
        }
        String payload = FRAME + topic.scope() + "\n" + nullToEmpty(topic.key()) + "\n"
                + (topic.superchatOnly() ? "1" : "0") + "\n" + nullToEmpty(topic.exceptSession()) + "\n"
                + nullToEmpty(topic.exceptName()) + "\n" + encodedFrame;
        redis.call(c -> c.publish(Keys.BUS, payload));
    }

    @Override
    public AutoCloseable subscribe(Subscriber newSubscriber) {
        subscriber = newSubscriber;
        return () -> subscriber = null;
    }

    @Override
    public void close() {
        subscriber = null;
    }

    /** A frame from the bus, on the delivery thread. */
    void receive(String payload) {
        String[] f = payload.split("\n", 7);
        Topic.Scope scope = Topic.Scope.valueOf(f[1]);
        Topic topic = new Topic(scope, scope == Topic.Scope.EVERYONE ? null : f[2], f[3].equals("1"),
                f[4].isEmpty() ? null : f[4], f[5].isEmpty() ? null : f[5]);
        deliverLocally(topic, f[6]);
    }

    /** Hands a frame to this node's sessions. */
    void deliverLocally(Topic topic, String encodedFrame) {
        Subscriber target = subscriber;
        if (target != null) {
            target.deliver(topic, encodedFrame);
        }
    }

    private static String nullToEmpty(String value) {
        return value == null ? "" : value;
    }
}
