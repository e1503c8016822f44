/**
 * Endpoint: the {@code @ServerEndpoint} at {@code /chat} and its configurator. They adapt the
 * WebSocket lifecycle and handshake to the services and hold no chat logic of their own.
 */
package dev.duplex.endpoint;
