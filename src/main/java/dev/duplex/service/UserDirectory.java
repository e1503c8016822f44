package dev.duplex.service;

import dev.duplex.broker.Backplane;
import dev.duplex.connection.ConnectionRegistry;

/**
 * Keeps the backplane's user directory in step with this node's sessions, so that a direct finds
 * its recipient on whichever node it is connected to.
 */
public final class UserDirectory implements ConnectionRegistry.Listener {

    private final Backplane backplane;

    private UserDirectory(Backplane backplane) {
        this.backplane = backplane;
    }

    /** Has the registry tell the backplane of every session that takes directs, opening or closing. */
    public static void connect(ConnectionRegistry registry, Backplane backplane) {
        registry.listen(new UserDirectory(backplane));
    }

    @Override
    public void opened(String name) {
        backplane.online(name);
    }

    @Override
    public void closed(String name) {
        backplane.offline(name);
    }
}
