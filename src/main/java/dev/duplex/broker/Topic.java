package dev.duplex.broker;

/**
 * Where a published frame goes: one room, or every session of the application.
 *
 * @param room the room name, or {@code null} for everyone
 */
public record Topic(String room) {

    /** Every session in every room (operator notices). */
    public static final Topic EVERYONE = new Topic(null);

    /** The members of one room. */
    public static Topic room(String room) {
        if (room == null) {
            throw new IllegalArgumentException("room must not be null; use Topic.EVERYONE");
        }
        return new Topic(room);
    }

    public boolean isEveryone() {
        return room == null;
    }
}
