package dev.duplex.protocol;

import dev.duplex.connection.Connection;
import dev.duplex.connection.SubProtocol;
import dev.duplex.message.ClientFrame;
import dev.duplex.message.ServerFrame;

/**
 * One sub-protocol: what its sessions receive ({@link SubProtocol#receives}), the welcome they get,
 * and what it does with each frame they send.
 */
public interface SubProtocolHandler extends SubProtocol {

    /** The session's first frame. */
    ServerFrame.Welcome welcome(String name, String room, ServerFrame.Limits limits);

    /** Handles one decoded frame; refusals are answered with {@code error} frames, never thrown. */
    void handle(Connection connection, ClientFrame frame);
}
