package dev.duplex.session;

/**
 * What a transport learned when a client asked to connect, before any session exists.
 *
 * @param protocol      the negotiated sub-protocol, or null/empty when client and server share none
 * @param rawQuery      the request's query string, still percent-encoded, or null
 * @param principal     the name of the user the container authenticated, or null
 * @param remoteAddress the peer's address, or null when the transport did not tell
 */
public record Handshake(String protocol, String rawQuery, String principal, String remoteAddress) {
}
