package dev.duplex.broker;

import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Everything a node shares with the other nodes of its chat — rooms' logs, frames for sessions
 * anywhere, presence and the user directory — behind one interface, so that the chat services run
 * one code path whether the node is alone ({@link InMemoryBackplane}) or one of a cluster
 * ({@link dev.duplex.broker.redis.RedisBackplane}).
 *
 * <p>The exactly-once rule: a node delivers each room's log in order and remembers how far it got
 * (its position). A session joins under that room's delivery lock, gets the kept messages after
 * its {@code since} up to the position as replay, and everything after the position live. See
 * docs/SCALING.md.
 *
 * <p>A node that fell behind a room by more than the room keeps (its subscription was down while
 * the log was trimmed past its position) cannot deliver what was trimmed: it reports that once to
 * {@link #onGap} and continues with the oldest kept message, still in order and exactly once.
 *
 * <p>Every method that talks to other nodes throws {@link BackplaneUnavailableException} when
 * they cannot be reached; in memory that never happens.
 */
public interface Backplane extends AutoCloseable {

    /** Carries frames to every node's local sessions; room messages come from {@link #store()}. */
    Broker broker();

    /** The rooms' logs. {@code append} also delivers the message to every node following the room. */
    MessageStore store();

    /**
     * Follows a room's log on this node (counted: call {@link #unfollow} once per call) and runs
     * {@code atPosition} under the room's delivery lock with the id of the last message delivered
     * here (null when none). If {@code since} is later than that position the node first catches
     * up, so a client that saw a message elsewhere never gets it twice. {@code atPosition} must
     * only queue frames, not send them.
     */
    void follow(String room, String since, Consumer<String> atPosition);

    /** Undoes one {@link #follow}. */
    void unfollow(String room);

    /**
     * Once message {@code id} of {@code room} was delivered on this node, runs {@code queue} under
     * the room's delivery lock, in order with the room's deliveries (so it must only queue), and
     * the sending it returns once the lock is released.
     */
    void afterDelivered(String room, String id, Supplier<Runnable> queue);

    /** This node has a first session of {@code name} in {@code room}. */
    Membership enter(String room, String name);

    /** This node's last session of {@code name} left {@code room}. */
    Membership exit(String room, String name);

    /** Member names of a room across every node, alphabetical. */
    List<String> members(String room);

    /** Called with members that vanished because their node stopped refreshing them (it crashed). */
    void onExpired(ExpiryListener listener);

    /**
     * Called on the delivery path, under the room's delivery lock and in order with the room's
     * messages, when this node skips trimmed messages it never delivered (see {@link GapListener}).
     */
    void onGap(GapListener listener);

    /** A session of {@code name} that takes directs opened on this node. */
    void online(String name);

    /** Such a session of {@code name} closed on this node. */
    void offline(String name);

    /** Whether {@code name} has a session that takes directs on any node. */
    boolean reachable(String name);

    /** Whether the other nodes can be reached right now. */
    boolean healthy();

    /** {@code memory} or {@code redis}, for the health report. */
    String kind();

    /** This node's id in the cluster, or null when it is alone. */
    String nodeId();

    @Override
    void close();

    /**
     * @param changed whether the name's membership changed cluster-wide (first node in, last out)
     * @param members the room's member names afterwards, alphabetical
     */
    record Membership(boolean changed, List<String> members) {
    }

    @FunctionalInterface
    interface ExpiryListener {
        void expired(String room, String name, List<String> members);
    }

    /**
     * This node fell behind a room's log by more than the room keeps: the messages after
     * {@code after} (null: from the start of the log) up to and including {@code lastTrimmed} were
     * trimmed before it delivered them. Nothing of the room was delivered here after {@code after}
     * yet; everything delivered after this call is newer than {@code lastTrimmed}, in order.
     */
    @FunctionalInterface
    interface GapListener {
        void gap(String room, String after, String lastTrimmed);
    }

    /** Connects to Redis at {@code url} ({@code redis://host:port}); Lettuce is loaded only here. */
    static Backplane redis(String url, int keptPerRoom, java.time.Clock clock) {
        return new dev.duplex.broker.redis.RedisBackplane(url, keptPerRoom, clock);
    }
}
