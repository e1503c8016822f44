/**
 * The WebSocket transport, the only package that speaks JSR 356: the {@code @ServerEndpoint} at
 * {@code /chat}, its configurator (sub-protocol negotiation, origin check, the peer's address), the
 * never-throwing text decoder, the servlet filter and request listener the handshake needs, and
 * {@code WebSocketTransport}, the send path (with the streaming mode and its fence on Tyrus). They
 * adapt the WebSocket lifecycle to the session layer and hold no chat logic of their own.
 */
package dev.duplex.transport.websocket;
