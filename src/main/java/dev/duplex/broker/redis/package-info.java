/**
 * The Redis backplane: what makes several nodes one chat (docs/SCALING.md). Only this package
 * sees Redis or Lettuce, and only when a Redis URL is configured; the rest of Duplex sees
 * {@link dev.duplex.broker.Backplane}, {@link dev.duplex.broker.Broker} and
 * {@link dev.duplex.broker.MessageStore}.
 *
 * <p>One class per concern, so each one's locking can be read on its own:
 * <ul>
 * <li>{@link dev.duplex.broker.redis.RedisBackplane}: the public face; wires the parts and runs
 * housekeeping (ping, refresh, sweep, catch-up).</li>
 * <li>{@code RedisConnection}: the command and bus connections, reconnecting by themselves; every
 * Redis failure becomes {@link dev.duplex.broker.BackplaneUnavailableException}. Tests subclass
 * it to cut the bus or stop a thread at a command.</li>
 * <li>{@code Delivery}: the one delivery thread and its bounded queue; room messages that do not
 * fit are read from their logs instead.</li>
 * <li>{@code RoomFeeds}: per followed room, how far its log was delivered here; joins, catch-up,
 * gaps and acks. A feed's lock is never held across a Redis call, so the delivery thread does not
 * wait for Redis on anyone's behalf.</li>
 * <li>{@code Presence} and {@code UserDirectory}: room members and reachable users, sorted sets
 * scored by expiry; each key's Redis writes are ordered by {@code KeyedState}, so a refresh or a
 * late write never brings back what was just removed.</li>
 * <li>{@code RedisBroker} and {@code RedisMessageStore}: the bus for frames, the rooms' streams.</li>
 * <li>{@code Keys} and {@code LuaScript}: the key names every node shares, and the scripts (the
 * {@code .lua} resources next to these classes), each one step in Redis where two separate
 * commands could interleave with another node's.</li>
 * </ul>
 */
package dev.duplex.broker.redis;
