package dev.duplex.broker.redis;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/** The node's one delivery thread: bus messages and catch-ups run on it one at a time, in order. */
final class Delivery implements AutoCloseable {

    private final ExecutorService thread = Executors.newSingleThreadExecutor(task -> {
        Thread delivery = new Thread(task, "duplex-redis-delivery");
        delivery.setDaemon(true);
        return delivery;
    });

    void execute(Runnable task) {
        try {
            thread.execute(task);
        } catch (RejectedExecutionException ignored) {
            // closing
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(3, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
