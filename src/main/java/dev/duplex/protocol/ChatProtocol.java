package dev.duplex.protocol;

import dev.duplex.codec.FrameCodec;
import dev.duplex.connection.Connection;
import dev.duplex.message.ClientFrame;
import dev.duplex.message.CloseCode;
import dev.duplex.message.ErrorCode;
import dev.duplex.message.FrameKind;
import dev.duplex.message.ServerFrame;
import dev.duplex.service.RoomService;

/**
 * {@code chat}: the simple sub-protocol — post to your one room, receive its messages and
 * notices. Richer frames are {@code unknown-type} here; a {@code room} or {@code ref} in a
 * message is ignored, so simple clients keep working as they always did.
 */
public final class ChatProtocol implements SubProtocolHandler {

    private final RoomService rooms;

    public ChatProtocol(RoomService rooms) {
        this.rooms = rooms;
    }

    @Override
    public String name() {
        return SubProtocols.CHAT;
    }

    @Override
    public boolean receives(FrameKind kind) {
        return kind == FrameKind.MESSAGE || kind == FrameKind.NOTICE;
    }

    @Override
    public ServerFrame.Welcome welcome(String name, String room, ServerFrame.Limits limits) {
        return new ServerFrame.Welcome(name(), name, room);
    }

    @Override
    public void handle(Connection connection, ClientFrame frame) {
        if (frame instanceof ClientFrame.SendMessage message) {
            rooms.post(connection, connection.room(), message.text());
        } else if (!handleShared(connection, frame)) {
            connection.sendError(ErrorCode.UNKNOWN_TYPE, "sub-protocol chat does not accept \""
                    + typeName(frame) + "\" frames; connect with superchat for them");
        }
    }

    /** Frames every sub-protocol treats alike: ping, and input that did not decode. */
    static boolean handleShared(Connection connection, ClientFrame frame) {
        if (frame instanceof ClientFrame.Ping) {
            connection.send(new ServerFrame.Pong());
            return true;
        }
        if (frame instanceof ClientFrame.Rejected rejected) {
            if (FrameCodec.FRAME_TOO_BIG.equals(rejected.code())) {
                connection.close(CloseCode.FRAME_TOO_BIG.close());
            } else {
                connection.sendError(rejected.code(), rejected.message());
            }
            return true;
        }
        return false;
    }

    static String typeName(ClientFrame frame) {
        String simple = frame.getClass().getSimpleName();
        return Character.toLowerCase(simple.charAt(0)) + simple.substring(1);
    }
}
