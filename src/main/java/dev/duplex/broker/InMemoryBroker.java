package dev.duplex.broker;

import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A single-node broker: publishing calls every subscriber on the publishing thread, so order per
 * topic is the caller's order and nothing is copied or buffered on the way.
 */
public final class InMemoryBroker implements Broker {

    private final CopyOnWriteArrayList<Subscriber> subscribers = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    @Override
    public void publish(Topic topic, String encodedFrame) {
        if (closed) {
            throw new IllegalStateException("broker is closed");
        }
        for (Subscriber subscriber : subscribers) {
            subscriber.deliver(topic, encodedFrame);
        }
    }

    @Override
    public AutoCloseable subscribe(Subscriber subscriber) {
        subscribers.add(subscriber);
        return () -> subscribers.remove(subscriber);
    }

    @Override
    public void close() {
        closed = true;
        subscribers.clear();
    }
}
