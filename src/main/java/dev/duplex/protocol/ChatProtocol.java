package dev.duplex.protocol;

import dev.duplex.message.ClientFrame;
import dev.duplex.message.ServerFrame;
import dev.duplex.service.ChatConnection;
import dev.duplex.service.ChatService;

/** {@code chat}: the simple sub-protocol — post to your room, receive its messages and notices. */
public final class ChatProtocol implements SubProtocolHandler {

    private final ChatService chat;

    public ChatProtocol(ChatService chat) {
        this.chat = chat;
    }

    @Override
    public String name() {
        return SubProtocols.CHAT;
    }

    @Override
    public void handle(ChatConnection connection, ClientFrame frame) {
        if (frame instanceof ClientFrame.SendMessage message) {
            chat.post(connection, message.text());
        } else if (frame instanceof ClientFrame.Ping) {
            connection.send(new ServerFrame.Pong());
        } else if (frame instanceof ClientFrame.Rejected rejected) {
            connection.sendError(rejected.code(), rejected.message());
        } else {
            connection.sendError(ErrorCode.UNKNOWN_TYPE.wire(), "sub-protocol " + name()
                    + " does not accept this frame type");
        }
    }
}
