package dev.duplex.session;

import java.util.concurrent.ConcurrentHashMap;

/** Counts open sessions per remote address and refuses one past the cap (0 = no cap). */
public final class AddressLimiter {

    private final int maxPerAddress;
    private final ConcurrentHashMap<String, Integer> open = new ConcurrentHashMap<>();

    public AddressLimiter(int maxPerAddress) {
        this.maxPerAddress = maxPerAddress;
    }

    /** Counts a new session from {@code address}; false (and nothing counted) when over the cap. */
    public boolean acquire(String address) {
        if (maxPerAddress == 0 || address == null) {
            return true;
        }
        boolean[] admitted = {false};
        open.compute(address, (a, count) -> {
            int current = count == null ? 0 : count;
            admitted[0] = current < maxPerAddress;
            return admitted[0] ? current + 1 : count;
        });
        return admitted[0];
    }

    public void release(String address) {
        if (maxPerAddress == 0 || address == null) {
            return;
        }
        open.computeIfPresent(address, (a, count) -> count == 1 ? null : count - 1);
    }

    public int openFrom(String address) {
        return open.getOrDefault(address, 0);
    }
}
