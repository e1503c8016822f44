package dev.duplex.protocol;

import dev.duplex.message.ClientFrame;
import dev.duplex.service.ChatConnection;

/** What one sub-protocol does with each frame a session speaking it sends. */
public interface SubProtocolHandler {

    /** The sub-protocol's name as negotiated through {@code Sec-WebSocket-Protocol}. */
    String name();

    /** Handles one decoded frame; refusals are answered with {@code error} frames, never thrown. */
    void handle(ChatConnection connection, ClientFrame frame);
}
