package dev.duplex.service;

import dev.duplex.broker.Backplane;
import dev.duplex.broker.BackplaneUnavailableException;
import dev.duplex.broker.Broker;
import dev.duplex.broker.MessageStore;
import dev.duplex.broker.Topic;
import dev.duplex.codec.FrameCodec;
import dev.duplex.message.ServerFrame;
import dev.duplex.protocol.ErrorCode;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Rooms: joining and leaving (with presence), posting (store, then publish), typing and history.
 * Every refusal is an {@code error} frame to the asking session (docs/PROTOCOL.md).
 */
public final class RoomService {

    /** Messages a {@code superchat} session gets when it joins without {@code since}. */
    public static final int HISTORY_ON_JOIN = 50;
    /** The largest {@code history} page. */
    public static final int HISTORY_PAGE_MAX = 200;
    /** Typing notifications relayed per session per second; the rest are dropped. */
    public static final int TYPING_PER_SECOND = 3;

    private final ConcurrentHashMap<String, Room> rooms = new ConcurrentHashMap<>();
    private final MessageStore store;
    private final Broker broker;
    private final Clock clock;
    private final TextRules rules;
    private final int maxRoomsPerSession;
    /** The cluster this node is part of; null for a single node (everything in memory). */
    private final Backplane cluster;

    public RoomService(MessageStore store, Broker broker, Clock clock, TextRules rules, int maxRoomsPerSession) {
        this(store, broker, clock, rules, maxRoomsPerSession, null);
    }

    /**
     * @param cluster the backplane when this node is one of several (then {@code store} and
     *                {@code broker} are the backplane's), or null for a single node
     */
    public RoomService(MessageStore store, Broker broker, Clock clock, TextRules rules, int maxRoomsPerSession,
                       Backplane cluster) {
        this.store = store;
        this.broker = broker;
        this.clock = clock;
        this.rules = rules;
        this.maxRoomsPerSession = maxRoomsPerSession;
        this.cluster = cluster;
        if (cluster != null) {
            // A crashed node's members expire; whichever node notices tells the room.
            cluster.onExpired((room, name, members) -> publishQuietly(Topic.room(room).onlySuperchat(),
                    new ServerFrame.Presence(room, "leave", name, members)));
            cluster.onGap(this::fellBehind);
        }
    }

    /**
     * This clustered node skipped messages of a room that were trimmed before it delivered them
     * (it fell behind by more than the room keeps). Its {@code superchat} sessions there get
     * {@code history-gap}, as on a resume with a too old {@code since}, before the oldest kept
     * message that follows; {@code chat} sessions have no such frame and just carry on. Runs on the
     * delivery path, in order with the room's messages.
     */
    private void fellBehind(String roomName, String after, String lastTrimmed) {
        OutboundFrame frame = OutboundFrame.of(FrameCodec.encode(new ServerFrame.Error(ErrorCode.HISTORY_GAP.wire(),
                "this server fell behind the room: messages " + (after == null ? "" : "after " + after + " ")
                        + "up to " + lastTrimmed + " are no longer kept; continuing with the oldest kept",
                null, roomName)));
        for (ChatConnection connection : sessionsIn(roomName)) {
            if (connection.superchat()) {
                connection.send(frame);
            }
        }
    }

    /**
     * Puts a session in a room. A {@code superchat} session is sent {@code joined} and then either
     * the messages after {@code since} or the latest {@value #HISTORY_ON_JOIN}; a {@code chat}
     * session just starts receiving. The other members hear of a new member through presence.
     */
    public void join(ChatConnection connection, String roomName, String since) {
        tryJoin(connection, roomName, since, false);
    }

    /**
     * {@link #join}; returns false only when a clustered node could not reach its backplane (then
     * the session is not in the room; it was sent {@code unavailable} unless {@code handshake}).
     */
    boolean tryJoin(ChatConnection connection, String roomName, String since, boolean handshake) {
        if (!HandshakeParams.isValidRoom(roomName)) {
            connection.sendError(ErrorCode.INVALID_ROOM, "room must be 1-32 of a-z, 0-9 and -", null, roomName);
            return true;
        }
        if (connection.rooms().contains(roomName)) {
            connection.sendError(ErrorCode.ALREADY_JOINED, "already in room " + roomName, null, roomName);
            return true;
        }
        if (connection.rooms().size() >= maxRoomsPerSession) {
            connection.sendError(ErrorCode.TOO_MANY_ROOMS,
                    "a session may be in at most " + maxRoomsPerSession + " rooms", null, roomName);
            return true;
        }
        if (cluster != null) {
            return clusterJoin(connection, roomName, since, handshake);
        }
        while (true) {
            Room room = rooms.computeIfAbsent(roomName, Room::new);
            synchronized (room) {
                if (room.retired()) {
                    continue; // emptied and removed while we waited; take the live one
                }
                boolean newMember = room.add(connection);
                connection.rooms().add(roomName);
                List<String> members = room.members();
                if (connection.superchat()) {
                    connection.send(new ServerFrame.Joined(roomName, members));
                    replay(connection, roomName, since);
                }
                if (newMember) {
                    announce(room, connection, "join", members);
                }
                return true;
            }
        }
    }

    /**
     * Joins on a clustered node: under the room's lock and then its delivery lock, the session gets
     * the kept messages up to what this node delivered, and everything after that live.
     */
    private boolean clusterJoin(ChatConnection connection, String roomName, String since, boolean handshake) {
        while (true) {
            Room room = rooms.computeIfAbsent(roomName, Room::new);
            synchronized (room) {
                if (room.retired()) {
                    continue;
                }
                boolean newLocal = !room.hasName(connection.name());
                Backplane.Membership membership;
                try {
                    membership = newLocal ? cluster.enter(roomName, connection.name())
                            : new Backplane.Membership(false, cluster.members(roomName));
                } catch (BackplaneUnavailableException e) {
                    return joinFailed(connection, room, handshake);
                }
                try {
                    cluster.follow(roomName, connection.superchat() ? since : null, position -> {
                        List<ServerFrame.ChatMessage> replay = List.of();
                        boolean gap = false;
                        if (connection.superchat()) {
                            if (since == null) {
                                replay = store.latest(roomName, HISTORY_ON_JOIN, position);
                            } else {
                                MessageStore.Replay after = store.after(roomName, since, position);
                                replay = after.messages();
                                gap = after.gap();
                            }
                        }
                        room.add(connection);
                        connection.rooms().add(roomName);
                        if (connection.superchat()) {
                            connection.send(new ServerFrame.Joined(roomName, membership.members()));
                            if (gap) {
                                connection.sendError(ErrorCode.HISTORY_GAP, "messages after " + since
                                        + " are no longer kept; sending the " + store.keptPerRoom() + " kept", null,
                                        roomName);
                            }
                            replay.forEach(connection::sendReplay);
                        }
                    });
                } catch (BackplaneUnavailableException e) {
                    if (newLocal) {
                        try {
                            cluster.exit(roomName, connection.name());
                        } catch (BackplaneUnavailableException ignored) {
                            // its entry expires
                        }
                    }
                    return joinFailed(connection, room, handshake);
                }
                if (membership.changed()) {
                    announce(room, connection, "join", membership.members());
                }
                return true;
            }
        }
    }

    private boolean joinFailed(ChatConnection connection, Room room, boolean handshake) {
        if (room.isEmpty()) {
            room.retire();
            rooms.remove(room.name(), room);
        }
        if (!handshake) {
            unavailable(connection, null, room.name());
        }
        return false;
    }

    private static void unavailable(ChatConnection connection, String ref, String roomName) {
        connection.sendError(ErrorCode.UNAVAILABLE,
                "the chat backplane is unreachable; nothing was done, try again shortly", ref, roomName);
    }

    /** Takes a session out of a room; {@code confirm} answers {@code left} (or {@code not-joined}). */
    public void leave(ChatConnection connection, String roomName, boolean confirm) {
        Room room = roomName == null ? null : rooms.get(roomName);
        if (room == null || !connection.rooms().contains(roomName)) {
            if (confirm) {
                connection.sendError(ErrorCode.NOT_JOINED, "not in room " + roomName, null, roomName);
            }
            return;
        }
        synchronized (room) {
            connection.rooms().remove(roomName);
            if (cluster != null) {
                clusterLeave(room, connection);
            } else if (room.remove(connection)) {
                announce(room, connection, "leave", room.members());
            }
            if (room.isEmpty()) {
                room.retire();
                rooms.remove(roomName, room);
            }
        }
        if (confirm) {
            connection.send(new ServerFrame.Left(roomName));
        }
    }

    private void clusterLeave(Room room, ChatConnection connection) {
        boolean wasIn = room.sessions().contains(connection);
        boolean lastLocal = room.remove(connection);
        if (wasIn) {
            cluster.unfollow(room.name());
        }
        if (lastLocal) {
            try {
                Backplane.Membership membership = cluster.exit(room.name(), connection.name());
                if (membership.changed()) {
                    announce(room, connection, "leave", membership.members());
                }
            } catch (BackplaneUnavailableException e) {
                // not refreshed any more: the entry expires and the expiry is announced
            }
        }
    }

    /** Takes a closing session out of every room it is in. */
    public void leaveAll(ChatConnection connection) {
        for (String roomName : Set.copyOf(connection.rooms())) {
            leave(connection, roomName, false);
        }
    }

    /**
     * Stores and publishes a message to a room the session is in. With {@code ack}, the sender is
     * told the id under its {@code ref} once the message is stored and published.
     *
     * @return the message, or empty when it was refused
     */
    public Optional<ServerFrame.ChatMessage> post(ChatConnection sender, String roomName, String text,
                                                  String ref, boolean ack) {
        Room room = memberRoom(sender, roomName, ref);
        if (room == null) {
            return Optional.empty();
        }
        Optional<TextRules.Violation> violation = rules.check(text);
        if (violation.isPresent()) {
            sender.sendError(violation.get().code(), violation.get().message(), ref, roomName);
            return Optional.empty();
        }
        if (cluster != null) {
            return clusterPost(sender, roomName, text, ref, ack);
        }
        ServerFrame.ChatMessage message;
        synchronized (room) {
            message = store.append(roomName, sender.name(), text, now());
            broker.publish(Topic.room(roomName), FrameCodec.encode(message));
        }
        if (ack) {
            sender.send(new ServerFrame.Ack(ref, message.id()));
        }
        return Optional.of(message);
    }

    /**
     * Posts on a clustered node: the backplane orders the room; the ack goes out once Redis has the
     * message and this node delivered it (so after the sender's own copy).
     */
    private Optional<ServerFrame.ChatMessage> clusterPost(ChatConnection sender, String roomName, String text,
                                                          String ref, boolean ack) {
        ServerFrame.ChatMessage message;
        try {
            message = store.append(roomName, sender.name(), text, now());
        } catch (BackplaneUnavailableException e) {
            unavailable(sender, ref, roomName);
            return Optional.empty();
        }
        if (ack) {
            ServerFrame.Ack acknowledgement = new ServerFrame.Ack(ref, message.id());
            cluster.afterDelivered(roomName, message.id(), () -> sender.send(acknowledgement));
        }
        return Optional.of(message);
    }

    /** Tells the room's other members that the sender is typing, a few times a second at most. */
    public void typing(ChatConnection sender, String roomName) {
        if (memberRoom(sender, roomName, null) == null || !sender.allowTyping(System.nanoTime())) {
            return;
        }
        publishQuietly(Topic.room(roomName).onlySuperchat().skipName(sender.name()),
                new ServerFrame.Typing(roomName, sender.name()));
    }

    /** Sends a page of a room's stored messages, oldest first. */
    public void history(ChatConnection connection, String roomName, String before, Integer limit) {
        if (memberRoom(connection, roomName, null) == null) {
            return;
        }
        if (limit != null && limit < 1) {
            connection.sendError(ErrorCode.BAD_FRAME, "limit must be at least 1", null, roomName);
            return;
        }
        int size = limit == null ? HISTORY_ON_JOIN : Math.min(limit, HISTORY_PAGE_MAX);
        List<ServerFrame.ChatMessage> page;
        try {
            page = before == null
                    ? store.latest(roomName, size)
                    : store.before(roomName, before, size);
        } catch (BackplaneUnavailableException e) {
            unavailable(connection, null, roomName);
            return;
        }
        connection.send(new ServerFrame.History(roomName, page));
    }

    /** Sessions of this node in a room, for delivery. */
    public Collection<ChatConnection> sessionsIn(String roomName) {
        Room room = rooms.get(roomName);
        return room == null ? Set.of() : room.sessions();
    }

    /** Member names of a room on this node, alphabetical. */
    public List<String> members(String roomName) {
        Room room = rooms.get(roomName);
        if (room == null) {
            return List.of();
        }
        synchronized (room) {
            return room.members();
        }
    }

    private void replay(ChatConnection connection, String roomName, String since) {
        List<ServerFrame.ChatMessage> messages;
        if (since == null) {
            messages = store.latest(roomName, HISTORY_ON_JOIN);
        } else {
            MessageStore.Replay replay = store.after(roomName, since);
            if (replay.gap()) {
                connection.sendError(ErrorCode.HISTORY_GAP, "messages after " + since
                        + " are no longer kept; sending the " + store.keptPerRoom() + " kept", null, roomName);
            }
            messages = replay.messages();
        }
        for (ServerFrame.ChatMessage message : messages) {
            connection.sendReplay(message);
        }
    }

    private void announce(Room room, ChatConnection subject, String event, List<String> members) {
        // Nobody on a single node to tell: skip encoding a frame whose member list grows with the room.
        if (cluster == null && !room.hasSuperchatBesides(subject)) {
            return;
        }
        publishQuietly(Topic.room(room.name()).onlySuperchat().skipSession(subject.id()),
                new ServerFrame.Presence(room.name(), event, subject.name(), members));
    }

    /** Publishes a frame nobody waits for (presence, typing); lost when the backplane is down. */
    private void publishQuietly(Topic topic, ServerFrame frame) {
        try {
            broker.publish(topic, FrameCodec.encode(frame));
        } catch (BackplaneUnavailableException e) {
            // best effort: a clustered node without its backplane cannot tell the other nodes
        }
    }

    /** The room, when the session is in it; otherwise answers {@code not-joined} and returns null. */
    private Room memberRoom(ChatConnection connection, String roomName, String ref) {
        Room room = roomName == null ? null : rooms.get(roomName);
        if (room == null || !connection.rooms().contains(roomName)) {
            connection.sendError(ErrorCode.NOT_JOINED, "not in room " + roomName + "; join it first", ref, roomName);
            return null;
        }
        return room;
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MILLIS);
    }
}
