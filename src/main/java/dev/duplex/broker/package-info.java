/**
 * Broker: everything a node shares with the other nodes of its chat, behind one interface,
 * {@code Backplane} — {@code Broker} carries frames (presence, typing, directs, notices) to every
 * node's local sessions, {@code MessageStore} keeps each room's log and assigns message ids (the
 * source of {@code since} replay and history), and presence and the user directory span nodes.
 * {@code InMemoryBackplane} serves a node that is alone; {@code RedisBackplane} makes several
 * nodes one chat. The services never ask which one they have. Frames travel as {@code Published},
 * encoded once and only when some session takes them.
 */
package dev.duplex.broker;
