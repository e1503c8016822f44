package dev.duplex.service;

import dev.duplex.protocol.AppCloseCode;

/**
 * One periodic sweep over all sessions (not a timer per session): pings a session the server has
 * not heard from for a third of the idle timeout, closes one silent for the whole timeout with
 * {@link AppCloseCode#HEARTBEAT_TIMEOUT}, and closes one whose send has stalled as too slow.
 */
final class Heartbeat implements Runnable {

    private static final System.Logger LOG = System.getLogger(Heartbeat.class.getName());

    private final ConnectionRegistry registry;
    private final long idleTimeoutNanos;

    Heartbeat(ConnectionRegistry registry, long idleTimeoutNanos) {
        this.registry = registry;
        this.idleTimeoutNanos = idleTimeoutNanos;
    }

    /** How often the sweep should run. */
    long intervalNanos() {
        return idleTimeoutNanos / 3;
    }

    @Override
    public void run() {
        try {
            sweep(System.nanoTime());
        } catch (RuntimeException e) {
            // A scheduled task that throws is never run again; log and keep the heartbeat alive.
            LOG.log(System.Logger.Level.WARNING, "heartbeat sweep failed", e);
        }
    }

    void sweep(long nowNanos) {
        for (ChatConnection connection : registry.all()) {
            OutboundQueue outbound = connection.outbound();
            long silent = nowNanos - connection.lastHeardNanos();
            if (outbound.stalled(nowNanos)) {
                outbound.tooSlow();
            } else if (silent >= idleTimeoutNanos) {
                connection.close(AppCloseCode.HEARTBEAT_TIMEOUT.reason());
            } else if (silent >= idleTimeoutNanos / 3) {
                outbound.pingIfIdle();
            }
        }
    }
}
