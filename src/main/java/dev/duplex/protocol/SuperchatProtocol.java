package dev.duplex.protocol;

import dev.duplex.connection.Connection;
import dev.duplex.message.ClientFrame;
import dev.duplex.message.ErrorCode;
import dev.duplex.message.FrameKind;
import dev.duplex.message.ServerFrame;
import dev.duplex.service.DirectService;
import dev.duplex.service.RoomService;

/**
 * {@code superchat}: the rich sub-protocol — several rooms, presence, acknowledged messages,
 * direct messages, typing and history (docs/PROTOCOL.md, "superchat").
 */
public final class SuperchatProtocol implements SubProtocolHandler {

    private final RoomService rooms;
    private final DirectService directs;

    public SuperchatProtocol(RoomService rooms, DirectService directs) {
        this.rooms = rooms;
        this.directs = directs;
    }

    @Override
    public String name() {
        return SubProtocols.SUPERCHAT;
    }

    @Override
    public boolean receives(FrameKind kind) {
        return true;
    }

    @Override
    public ServerFrame.Welcome welcome(String name, String room, ServerFrame.Limits limits) {
        return new ServerFrame.Welcome(name(), name, room, limits);
    }

    @Override
    public void handle(Connection connection, ClientFrame frame) {
        if (frame instanceof ClientFrame.SendMessage message) {
            String room = message.room() != null ? message.room() : connection.room();
            rooms.postAcknowledged(connection, room, message.text(), message.ref());
        } else if (frame instanceof ClientFrame.Join join) {
            rooms.join(connection, join.room(), join.since());
        } else if (frame instanceof ClientFrame.Leave leave) {
            rooms.leave(connection, leave.room());
        } else if (frame instanceof ClientFrame.Direct direct) {
            directs.send(connection, direct.to(), direct.text(), direct.ref());
        } else if (frame instanceof ClientFrame.Typing typing) {
            rooms.typing(connection, typing.room());
        } else if (frame instanceof ClientFrame.History history) {
            rooms.history(connection, history.room(), history.before(), history.limit());
        } else if (!ChatProtocol.handleShared(connection, frame)) {
            connection.sendError(ErrorCode.UNKNOWN_TYPE, "sub-protocol superchat does not accept \""
                    + ChatProtocol.typeName(frame) + "\" frames");
        }
    }
}
