package dev.duplex.support;

import dev.duplex.connection.Connection;
import dev.duplex.connection.SubProtocol;
import dev.duplex.connection.Transport;
import dev.duplex.message.FrameKind;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;

/** Connections for unit tests below the protocol handlers. */
public final class TestConnections {

    private TestConnections() {
    }

    /** A sub-protocol that receives exactly these kinds. */
    public static SubProtocol protocol(String name, FrameKind... kinds) {
        Set<FrameKind> receives = kinds.length == 0 ? EnumSet.noneOf(FrameKind.class) : EnumSet.of(kinds[0], kinds);
        return new SubProtocol() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public boolean receives(FrameKind kind) {
                return receives.contains(kind);
            }
        };
    }

    /** An active connection with a 1 MiB send buffer and no rate limit. */
    public static Connection connection(String name, SubProtocol protocol, Transport transport, long sendTimeoutNanos,
                                        Executor background, LongSupplier clock) {
        Connection connection = new Connection(name, "lobby", protocol, transport,
                new Connection.Limits(1 << 20, sendTimeoutNanos, 1, 0), null, background, clock);
        connection.activate();
        return connection;
    }
}
