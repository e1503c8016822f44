package dev.duplex.broker.redis;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.api.sync.RedisCommands;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A node's connection to the test's real Redis that the test can interfere with, as a network or
 * a scheduler would: cut the bus subscription and restore it, and stop one thread just before or
 * just after a Redis command, to run other threads through the same code meanwhile.
 */
final class TestRedis extends RedisConnection {

    private final List<Stop> stops = new CopyOnWriteArrayList<>();
    private final AtomicInteger heard = new AtomicInteger();
    private volatile boolean busCut;
    private volatile BusListener listener;
    private volatile String drainMark;
    private volatile CountDownLatch drain;

    TestRedis(String url) {
        super(url);
    }

    @Override
    void open(String node, BusListener bus) {
        listener = bus;
        super.open(node, new BusListener() {
            @Override
            public void message(String payload) {
                CountDownLatch drained = drain;
                if (drained != null && payload.equals(drainMark)) {
                    drained.countDown();
                } else if (!busCut) {
                    bus.message(payload);
                    heard.incrementAndGet();
                }
            }

            @Override
            public void subscribed() {
                if (!busCut) {
                    bus.subscribed();
                }
            }
        });
    }

    /** Stops hearing the bus, as a dropped subscription does. */
    void cutBus() {
        busCut = true;
    }

    /**
     * Hears the bus again and, as Lettuce does after resubscribing, tells the node it subscribed.
     * What was published while the bus was cut is dropped, even what is still on its way: a mark
     * published now arrives after all of it.
     */
    void restoreBus() throws InterruptedException {
        drainMark = "drained " + UUID.randomUUID();
        drain = new CountDownLatch(1);
        call(c -> c.publish(Keys.BUS, drainMark));
        assertTrue(drain.await(15, TimeUnit.SECONDS), "the bus drained");
        drain = null;
        busCut = false;
        listener.subscribed();
    }

    /** Bus messages handed to the node so far. */
    int heard() {
        return heard.get();
    }

    /** Stops {@code thread} at its next Redis command on {@code key}, before the command is sent. */
    Stop stopBefore(Thread thread, String key) {
        return arm(new Stop(thread, key, false));
    }

    /** Stops {@code thread} right after its next Redis command on {@code key} was answered. */
    Stop stopAfter(Thread thread, String key) {
        return arm(new Stop(thread, key, true));
    }

    private Stop arm(Stop stop) {
        stops.add(stop);
        return stop;
    }

    @Override
    <T> T call(Function<RedisCommands<String, String>, T> command) {
        return super.call(commands -> command.apply(stops.isEmpty() ? commands : watched(commands)));
    }

    @SuppressWarnings("unchecked")
    private RedisCommands<String, String> watched(RedisCommands<String, String> commands) {
        return (RedisCommands<String, String>) Proxy.newProxyInstance(RedisCommands.class.getClassLoader(),
                new Class<?>[] {RedisCommands.class}, (proxy, method, args) -> {
                    Stop stop = take(method, args);
                    if (stop != null && !stop.after) {
                        stop.hold();
                    }
                    try {
                        return method.invoke(commands, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    } finally {
                        if (stop != null && stop.after) {
                            stop.hold();
                        }
                    }
                });
    }

    /** The stop armed for this thread and a key this command touches, disarmed; or null. */
    private Stop take(Method method, Object[] args) {
        if (args == null) {
            return null;
        }
        for (Stop stop : stops) {
            if (stop.thread == Thread.currentThread() && Arrays.stream(args).anyMatch(stop::touches)
                    && stops.remove(stop)) {
                return stop;
            }
        }
        return null;
    }

    /** Where a thread waits until the test lets it go on. */
    static final class Stop {
        private final Thread thread;
        private final String key;
        private final boolean after;
        private final CountDownLatch reached = new CountDownLatch(1);
        private final CountDownLatch released = new CountDownLatch(1);

        private Stop(Thread thread, String key, boolean after) {
            this.thread = thread;
            this.key = key;
            this.after = after;
        }

        private boolean touches(Object arg) {
            return key.equals(arg) || arg instanceof Object[] keys && Arrays.asList(keys).contains(key);
        }

        private void hold() throws InterruptedException {
            reached.countDown();
            if (!released.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("a stopped thread was never released");
            }
        }

        /** Waits until the thread stands here. */
        void awaitReached() throws InterruptedException {
            assertTrue(reached.await(15, TimeUnit.SECONDS), thread.getName() + " never reached its Redis command");
        }

        void release() {
            released.countDown();
        }
    }
}
