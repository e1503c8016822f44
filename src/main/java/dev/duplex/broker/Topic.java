package dev.duplex.broker;

/**
 * Who a published frame is for: the sessions of one room, of one user, or everyone; optionally
 * only {@code superchat} sessions (frames {@code chat} clients do not know), and optionally
 * skipping one session or every session of one user.
 *
 * @param scope          room, user or everyone
 * @param key            the room or user name; null for everyone
 * @param superchatOnly  deliver to {@code superchat} sessions only
 * @param exceptSession  id of a session to skip, or null
 * @param exceptName     a user whose sessions are skipped, or null
 */
public record Topic(Scope scope, String key, boolean superchatOnly, String exceptSession, String exceptName) {

    /** Every session in every room (operator notices). */
    public static final Topic EVERYONE = new Topic(Scope.EVERYONE, null, false, null, null);

    public enum Scope { ROOM, USER, EVERYONE }

    public Topic {
        if ((scope == Scope.EVERYONE) != (key == null)) {
            throw new IllegalArgumentException("a " + scope + " topic " + (key == null ? "needs" : "has no") + " key");
        }
    }

    /** Every session in a room, both sub-protocols. */
    public static Topic room(String room) {
        return new Topic(Scope.ROOM, room, false, null, null);
    }

    /** Every session of a user. */
    public static Topic user(String name) {
        return new Topic(Scope.USER, name, false, null, null);
    }

    public Topic onlySuperchat() {
        return new Topic(scope, key, true, exceptSession, exceptName);
    }

    public Topic skipSession(String sessionId) {
        return new Topic(scope, key, superchatOnly, sessionId, exceptName);
    }

    public Topic skipName(String name) {
        return new Topic(scope, key, superchatOnly, exceptSession, name);
    }
}
