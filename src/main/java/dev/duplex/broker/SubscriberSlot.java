package dev.duplex.broker;

/**
 * The one subscriber a node's broker hands frames to (this node's local delivery), or none yet.
 * Shared by the in-memory and the Redis broker.
 */
public final class SubscriberSlot {

    private volatile Broker.Subscriber subscriber;

    /** Makes {@code next} the subscriber; the handle removes it. */
    public AutoCloseable subscribe(Broker.Subscriber next) {
        subscriber = next;
        return this::clear;
    }

    public void clear() {
        subscriber = null;
    }

    /** Queues the frame for the subscriber, if any; returns what starts sending it. */
    public Runnable deliver(Topic topic, Published frame) {
        Broker.Subscriber target = subscriber;
        return target == null ? Broker.Subscriber.NOTHING_TO_SEND : target.deliver(topic, frame);
    }
}
