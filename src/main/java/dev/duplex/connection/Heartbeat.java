package dev.duplex.connection;

import dev.duplex.message.CloseCode;
import java.util.function.LongSupplier;

/**
 * One periodic sweep over all connections (not a timer per connection): a keep-alive for one the
 * server has not heard from for a third of the idle timeout, a {@link CloseCode#HEARTBEAT_TIMEOUT}
 * close for one silent for the whole timeout, a {@link CloseCode#TOO_SLOW} close for one whose
 * write has stalled, and an abort for one whose close the peer has not taken within the send
 * timeout. The sweep itself never writes, closes or blocks: connections do that off its thread.
 */
public final class Heartbeat implements Runnable {

    private static final System.Logger LOG = System.getLogger(Heartbeat.class.getName());

    private final ConnectionRegistry registry;
    private final long idleTimeoutNanos;
    private final long sendTimeoutNanos;
    private final LongSupplier nanoClock;

    public Heartbeat(ConnectionRegistry registry, long idleTimeoutNanos, long sendTimeoutNanos, LongSupplier nanoClock) {
        this.registry = registry;
        this.idleTimeoutNanos = idleTimeoutNanos;
        this.sendTimeoutNanos = sendTimeoutNanos;
        this.nanoClock = nanoClock;
    }

    /**
     * How often the sweep should run: often enough to keep quiet connections alive, and to find a
     * stalled write or an overdue close within half a send timeout of its deadline.
     */
    public long intervalNanos() {
        return Math.min(idleTimeoutNanos / 3, sendTimeoutNanos / 2);
    }

    @Override
    public void run() {
        try {
            sweep(nanoClock.getAsLong());
        } catch (RuntimeException e) {
            // A scheduled task that throws is never run again; log and keep the heartbeat alive.
            LOG.log(System.Logger.Level.WARNING, "heartbeat sweep failed", e);
        }
    }

    public void sweep(long nowNanos) {
        for (Connection connection : registry.all()) {
            OutboundQueue outbound = connection.outbound();
            long silent = nowNanos - connection.lastHeardNanos();
            if (outbound.isClosing()) {
                outbound.abortIfOverdue(nowNanos);
            } else if (outbound.stalled(nowNanos)) {
                outbound.close(CloseCode.TOO_SLOW.close());
            } else if (silent >= idleTimeoutNanos) {
                outbound.close(CloseCode.HEARTBEAT_TIMEOUT.close());
            } else if (silent >= idleTimeoutNanos / 3) {
                outbound.keepAliveIfIdle();
            }
        }
    }
}
