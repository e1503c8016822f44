package dev.duplex.session;

import dev.duplex.connection.Connection;
import dev.duplex.message.CloseCode;

/** The outcome of a connection attempt: a session, or the documented refusal. */
public sealed interface Admission {

    /** The session exists, is in its room and has its {@code welcome} on the way. */
    record Accepted(Connection connection) implements Admission {
    }

    /** No session: the transport tells the client this close (a close frame, or an HTTP status). */
    record Refused(CloseCode.Close close) implements Admission {
    }
}
