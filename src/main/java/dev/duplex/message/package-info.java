/**
 * Messages: the wire frames as two sealed interfaces of records, {@code ClientFrame} (what clients
 * send) and {@code ServerFrame} (what the server sends), each told apart by a {@code type}
 * discriminator through JSON-B 3 polymorphism. The records carry data only; validation lives in
 * the codec and the services, and docs/PROTOCOL.md is the contract they follow.
 */
package dev.duplex.message;
