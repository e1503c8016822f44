package dev.duplex.broker;

/**
 * The seam every broadcast passes through. A frame is published once, already encoded, and each
 * subscriber (one per server node) delivers it to its local sessions. The in-memory broker serves
 * a single node; a clustered broker carries the same text between nodes.
 */
public interface Broker extends AutoCloseable {

    /**
     * Publishes an encoded frame. Frames published one after another to the same topic reach each
     * subscriber in that order.
     */
    void publish(Topic topic, String encodedFrame);

    /** Registers a subscriber for every topic; returns a handle that removes it. */
    AutoCloseable subscribe(Subscriber subscriber);

    /** Stops delivering; later publishes are refused. */
    @Override
    void close();

    /** Receives published frames. Must not block: it hands the text to per-session queues. */
    @FunctionalInterface
    interface Subscriber {
        void deliver(Topic topic, String encodedFrame);
    }
}
