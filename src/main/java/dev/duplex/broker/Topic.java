package dev.duplex.broker;

import dev.duplex.message.FrameKind;

/**
 * Who a published frame is for: the sessions of one room, of one user, or everyone, of those only
 * the sessions whose sub-protocol takes its {@link FrameKind}, optionally skipping one connection
 * or every session of one user.
 *
 * @param scope             room, user or everyone
 * @param key               the room or user name; null for everyone
 * @param kind              what the frame is; only sessions that receive this kind get it
 * @param exceptConnection  id of a connection to skip (ids are unique across nodes), or null
 * @param exceptName        a user whose sessions are skipped, or null
 */
public record Topic(Scope scope, String key, FrameKind kind, String exceptConnection, String exceptName) {

    /** Every session in every room (operator notices). */
    public static final Topic EVERYONE = new Topic(Scope.EVERYONE, null, FrameKind.NOTICE, null, null);

    public enum Scope { ROOM, USER, EVERYONE }

    public Topic {
        if ((scope == Scope.EVERYONE) != (key == null)) {
            throw new IllegalArgumentException("a " + scope + " topic " + (key == null ? "needs" : "has no") + " key");
        }
    }

    /** The chat messages of a room, for every session in it. */
    public static Topic room(String room) {
        return room(room, FrameKind.MESSAGE);
    }

    /** Frames of one kind for the sessions of a room that receive that kind. */
    public static Topic room(String room, FrameKind kind) {
        return new Topic(Scope.ROOM, room, kind, null, null);
    }

    /** Direct messages for every session of a user that receives them. */
    public static Topic user(String name) {
        return new Topic(Scope.USER, name, FrameKind.DIRECT, null, null);
    }

    public Topic skipConnection(String connectionId) {
        return new Topic(scope, key, kind, connectionId, exceptName);
    }

    public Topic skipName(String name) {
        return new Topic(scope, key, kind, exceptConnection, name);
    }
}
