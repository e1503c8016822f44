/**
 * Broker: the publish/subscribe seam between the node that accepts a message and the nodes whose
 * sessions receive it. Frames cross it already encoded, once. {@code InMemoryBroker} serves a
 * single node; a clustered implementation plugs in behind the same interface.
 */
package dev.duplex.broker;
