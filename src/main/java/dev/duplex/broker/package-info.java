/**
 * Broker: the seams between the node that accepts a message and everyone who should see it —
 * {@code Broker} carries already-encoded frames to every node's local sessions, and
 * {@code MessageStore} keeps each room's recent messages and assigns their ids (the source of
 * {@code since} replay and history). The in-memory implementations serve a single node; clustered
 * ones plug in behind the same interfaces.
 */
package dev.duplex.broker;
