package dev.duplex.message;

/**
 * What a server frame is, as far as who receives it goes. Each sub-protocol says which kinds its
 * sessions take ({@code chat} only messages and notices), so services and delivery ask the session
 * instead of checking which sub-protocol it speaks.
 */
public enum FrameKind {
    /** A room's chat messages. */
    MESSAGE,
    /** Operator notices. */
    NOTICE,
    /** Members joining and leaving a room. */
    PRESENCE,
    /** Someone is typing in a room. */
    TYPING,
    /** Messages between two users. */
    DIRECT,
    /** {@code joined} with members, the history replayed on join and resume, and {@code history-gap}. */
    ROOM_STATE
}
