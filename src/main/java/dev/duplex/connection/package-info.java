/**
 * The transport-neutral connection layer: a {@code Connection} (a server-made id unique across
 * nodes, its rooms, its rate limit and its bounded {@code OutboundQueue}) over a small
 * {@code Transport} (write a batch of frames with one completion, keep-alive, close with a code and
 * reason, abort). Queueing returns a verdict and never writes, blocks or closes; closes, aborts and
 * keep-alives run on a background executor, so a slow consumer never slows a broadcaster. The
 * {@code Heartbeat} sweep judges liveness and stalls for every transport alike.
 * {@code SubProtocol} is the part of a sub-protocol this layer needs: which kinds of frame its
 * sessions receive.
 */
package dev.duplex.connection;
