package dev.duplex.protocol;

import dev.duplex.message.ClientFrame;
import dev.duplex.service.ChatConnection;

/**
 * {@code superchat}: the rich sub-protocol. It accepts everything {@code chat} does, so a
 * {@code chat} client and a {@code superchat} client share rooms; richer frames are added here.
 */
public final class SuperchatProtocol implements SubProtocolHandler {

    private final ChatProtocol basics;

    public SuperchatProtocol(ChatProtocol basics) {
        this.basics = basics;
    }

    @Override
    public String name() {
        return SubProtocols.SUPERCHAT;
    }

    @Override
    public void handle(ChatConnection connection, ClientFrame frame) {
        basics.handle(connection, frame);
    }
}
