/**
 * Codecs: JSON-B binding between wire text and the message records, for every transport. Server
 * frames are encoded once to text and that text is sent to every recipient. Decoding never throws;
 * bad input becomes a {@code Rejected} frame carrying the documented error code, so every server
 * answers it with the same {@code error} frame.
 */
package dev.duplex.codec;
