package dev.duplex.broker;

import dev.duplex.message.ServerFrame;

/**
 * The seam every frame for more than its own session passes through (presence, typing, directs,
 * notices; room messages come through {@link MessageStore#append}). Each subscriber — one per
 * node — hands it to its local sessions. In memory it stays on the node; over Redis it reaches
 * every node.
 */
public interface Broker extends AutoCloseable {

    /**
     * Publishes a frame. Frames published one after another to the same topic reach each
     * subscriber in that order. Throws {@link BackplaneUnavailableException} when other nodes
     * cannot be reached.
     */
    void publish(Topic topic, ServerFrame frame);

    /** Registers a subscriber for every topic; returns a handle that removes it. */
    AutoCloseable subscribe(Subscriber subscriber);

    /** Stops delivering; later publishes are refused. */
    @Override
    void close();

    /** Receives published frames. */
    @FunctionalInterface
    interface Subscriber {

        /** Returned when nothing needs sending. */
        Runnable NOTHING_TO_SEND = () -> { };

        /**
         * Queues the frame for this node's recipients, never blocking or writing: the caller may
         * hold the room's delivery lock, which fixes the frame's order. Returns what starts the
         * sending, for the caller to run once it holds no lock.
         */
        Runnable deliver(Topic topic, Published frame);
    }
}
