package dev.duplex.broker.redis;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * What this node holds in Redis per key (the sessions of a user, the names entered in a room),
 * each key's state under its own lock. The lock is held across the Redis write that follows a
 * change, so Redis gets each key's writes in the order the state changed: a removal cannot land
 * after the write that undid it, nor a refresh after a removal. A state that became empty leaves
 * the map only after that write; a thread that finds it gone takes the current one.
 */
final class KeyedState<S> {

    private final Map<String, Slot<S>> slots = new ConcurrentHashMap<>();
    private final Supplier<S> fresh;
    private final Predicate<S> empty;

    private static final class Slot<S> {
        final S state;
        boolean removed;

        Slot(S state) {
            this.state = state;
        }
    }

    KeyedState(Supplier<S> fresh, Predicate<S> empty) {
        this.fresh = fresh;
        this.empty = empty;
    }

    /** Runs {@code change} (and its Redis write) on the key's state, new if it had none, under its lock. */
    <R> R change(String key, Function<S, R> change) {
        return change(key, true, change, null);
    }

    /** Like {@link #change}, but a key without state gets {@code absent} instead, without a lock. */
    <R> R changeIfPresent(String key, Function<S, R> change, Supplier<R> absent) {
        return change(key, false, change, absent);
    }

    private <R> R change(String key, boolean create, Function<S, R> change, Supplier<R> absent) {
        while (true) {
            Slot<S> slot = create ? slots.computeIfAbsent(key, k -> new Slot<>(fresh.get())) : slots.get(key);
            if (slot == null) {
                return absent.get();
            }
            synchronized (slot) {
                if (slot.removed) {
                    continue;
                }
                try {
                    return change.apply(slot.state);
                } finally {
                    if (empty.test(slot.state)) {
                        slot.removed = true;
                        slots.remove(key, slot);
                    }
                }
            }
        }
    }

    /** Runs {@code action} (a refresh) on every key's state, each under its lock. */
    void forEach(BiConsumer<String, S> action) {
        slots.forEach((key, slot) -> {
            synchronized (slot) {
                if (!slot.removed) {
                    action.accept(key, slot.state);
                }
            }
        });
    }
}
