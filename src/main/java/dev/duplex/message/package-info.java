/**
 * Messages: the wire vocabulary every layer may use — the frames as two sealed interfaces of
 * records, {@code ClientFrame} (what clients send) and {@code ServerFrame} (what the server sends),
 * each told apart by a {@code type} discriminator through JSON-B 3 polymorphism; the error codes
 * ({@code ErrorCode}) and close codes ({@code CloseCode}, one transport-neutral table of code,
 * name and reason) of docs/PROTOCOL.md, each defined once; and {@code FrameKind}, what a frame is
 * as far as who receives it goes. The records carry data only; validation lives in the codec and
 * the services.
 */
package dev.duplex.message;
