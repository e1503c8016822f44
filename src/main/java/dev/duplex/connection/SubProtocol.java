package dev.duplex.connection;

import dev.duplex.message.FrameKind;

/**
 * The part of a sub-protocol the layers below the protocol handlers need: its name and which kinds
 * of frame its sessions receive. The handlers implement it.
 */
public interface SubProtocol {

    /** The name negotiated through {@code Sec-WebSocket-Protocol} (or {@code protocols=} on fallbacks). */
    String name();

    /** Whether sessions speaking this sub-protocol are sent frames of this kind. */
    boolean receives(FrameKind kind);
}
