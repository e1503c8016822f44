package dev.duplex.service;

import dev.duplex.broker.Backplane;
import dev.duplex.broker.BackplaneUnavailableException;
import dev.duplex.broker.Broker;
import dev.duplex.broker.MessageStore;
import dev.duplex.broker.Topic;
import dev.duplex.codec.FrameCodec;
import dev.duplex.connection.Connection;
import dev.duplex.connection.OutboundFrame;
import dev.duplex.message.ErrorCode;
import dev.duplex.message.FrameKind;
import dev.duplex.message.ServerFrame;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Rooms: joining and leaving (with presence), posting (appended to the room's log, which delivers
 * it), typing and history, the same whether the node is alone or one of a cluster: the
 * {@link Backplane} decides where the log and the members live. Every refusal is an {@code error}
 * frame to the asking session (docs/PROTOCOL.md).
 *
 * <p>No lock of a room is held while anything is sent: under it, frames are only queued.
 */
public final class RoomService {

    /** Messages a session gets when it joins without {@code since}. */
    public static final int HISTORY_ON_JOIN = 50;
    /** The largest {@code history} page. */
    public static final int HISTORY_PAGE_MAX = 200;

    private static final Pattern ROOM = Pattern.compile("[a-z0-9-]{1,32}");

    private final ConcurrentHashMap<String, Room> rooms = new ConcurrentHashMap<>();
    private final Backplane backplane;
    private final MessageStore store;
    private final Broker broker;
    private final Clock clock;
    private final TextRules rules;
    private final int maxRoomsPerSession;

    public RoomService(Backplane backplane, Clock clock, TextRules rules, int maxRoomsPerSession) {
        this.backplane = backplane;
        this.store = backplane.store();
        this.broker = backplane.broker();
        this.clock = clock;
        this.rules = rules;
        this.maxRoomsPerSession = maxRoomsPerSession;
        // A crashed node's members expire; whichever node notices tells the room.
        backplane.onExpired((room, name, members) -> publishQuietly(Topic.room(room, FrameKind.PRESENCE),
                new ServerFrame.Presence(room, "leave", name, members)));
        backplane.onGap(this::fellBehind);
    }

    /** A valid room name, for parameters and frames alike (docs/PROTOCOL.md, "Connecting"). */
    public static boolean isValidRoom(String room) {
        return room != null && ROOM.matcher(room).matches();
    }

    /**
     * This node skipped messages of a room that were trimmed before it delivered them (it fell
     * behind by more than the room keeps). Its sessions there that follow room state get
     * {@code history-gap}, as on a resume with a too old {@code since}, before the oldest kept
     * message that follows; the others just carry on. Runs on the delivery path, in order with the
     * room's messages.
     */
    private void fellBehind(String roomName, String after, String lastTrimmed) {
        OutboundFrame frame = OutboundFrame.of(FrameCodec.encode(new ServerFrame.Error(ErrorCode.HISTORY_GAP.wire(),
                "this server fell behind the room: messages " + (after == null ? "" : "after " + after + " ")
                        + "up to " + lastTrimmed + " are no longer kept; continuing with the oldest kept",
                null, roomName)));
        for (Connection connection : sessionsIn(roomName)) {
            if (connection.receives(FrameKind.ROOM_STATE)) {
                connection.send(frame);
            }
        }
    }

    private enum JoinOutcome { JOINED, REFUSED, UNAVAILABLE }

    /**
     * Puts a session in a room. A session that follows room state is sent {@code joined} and then
     * either the messages after {@code since} or the latest {@value #HISTORY_ON_JOIN}; a
     * {@code chat} session just starts receiving. The other members hear of a new member through
     * presence.
     */
    public void join(Connection connection, String roomName, String since) {
        if (enter(connection, roomName, since) == JoinOutcome.UNAVAILABLE) {
            unavailable(connection, null, roomName);
        }
        connection.flush();
    }

    /**
     * Puts a new session in its handshake room, before its {@code welcome} goes out. Returns false
     * when the backplane is unreachable: the session is not in the room, and is to be refused.
     */
    public boolean joinOnOpen(Connection connection, String roomName, String since) {
        return enter(connection, roomName, since) != JoinOutcome.UNAVAILABLE;
    }

    /** Puts the session in the room and queues what it is to receive, without sending it. */
    private JoinOutcome enter(Connection connection, String roomName, String since) {
        if (!isValidRoom(roomName)) {
            connection.sendError(ErrorCode.INVALID_ROOM, "room must be 1-32 of a-z, 0-9 and -", null, roomName);
            return JoinOutcome.REFUSED;
        }
        if (connection.rooms().contains(roomName)) {
            connection.sendError(ErrorCode.ALREADY_JOINED, "already in room " + roomName, null, roomName);
            return JoinOutcome.REFUSED;
        }
        if (connection.rooms().size() >= maxRoomsPerSession) {
            connection.sendError(ErrorCode.TOO_MANY_ROOMS,
                    "a session may be in at most " + maxRoomsPerSession + " rooms", null, roomName);
            return JoinOutcome.REFUSED;
        }
        boolean followsState = connection.receives(FrameKind.ROOM_STATE);
        while (true) {
            Room room = rooms.computeIfAbsent(roomName, Room::new);
            synchronized (room) {
                if (room.retired()) {
                    continue; // emptied and removed while we waited; take the live one
                }
                boolean firstHere = !room.hasName(connection.name());
                Backplane.Membership membership;
                try {
                    membership = firstHere ? backplane.enter(roomName, connection.name())
                            : new Backplane.Membership(false, followsState ? backplane.members(roomName) : List.of());
                    // Read before the delivery lock: on Redis a read under it would hold up delivery
                    // to every room of the node.
                    MessageStore.Replay read = followsState ? readReplay(roomName, since) : null;
                    backplane.follow(roomName, followsState ? since : null, position -> {
                        room.add(connection);
                        connection.rooms().add(roomName);
                        if (followsState) {
                            connection.enqueue(new ServerFrame.Joined(roomName, membership.members()));
                            replay(connection, roomName, since, read, position);
                        }
                    });
                } catch (BackplaneUnavailableException e) {
                    if (firstHere) {
                        exitQuietly(roomName, connection.name());
                    }
                    room.remove(connection); // in case the backplane failed after it was added
                    connection.rooms().remove(roomName);
                    retireIfEmpty(room);
                    return JoinOutcome.UNAVAILABLE;
                }
                if (membership.changed()) {
                    room.announceLater("join", connection, membership.members());
                }
            }
            room.publishAnnouncements(this::publishQuietly);
            return JoinOutcome.JOINED;
        }
    }

    private void exitQuietly(String roomName, String name) {
        try {
            backplane.exit(roomName, name);
        } catch (BackplaneUnavailableException ignored) {
            // not refreshed any more: its entry expires
        }
    }

    /** The kept messages after {@code since}, or the latest, as the log has them now. */
    private MessageStore.Replay readReplay(String roomName, String since) {
        return since == null ? new MessageStore.Replay(store.latest(roomName, HISTORY_ON_JOIN), false)
                : store.after(roomName, since);
    }

    /**
     * Queues the replay up to what this node delivered ({@code position}), under the delivery
     * lock: what was read before it, cut at the position, plus whatever came in between (rarely
     * anything: then that much is read now).
     */
    private void replay(Connection connection, String roomName, String since, MessageStore.Replay read,
                        String position) {
        if (read.gap()) {
            connection.enqueue(new ServerFrame.Error(ErrorCode.HISTORY_GAP.wire(), "messages after " + since
                    + " are no longer kept; sending the " + store.keptPerRoom() + " kept", null, roomName));
        }
        if (position == null) {
            return; // nothing of the room was delivered here yet: all of it comes live
        }
        List<ServerFrame.ChatMessage> messages = new ArrayList<>(read.messages().size());
        for (ServerFrame.ChatMessage message : read.messages()) {
            if (message.id().compareTo(position) <= 0) {
                messages.add(message);
            }
        }
        String last = messages.isEmpty() ? since : messages.get(messages.size() - 1).id();
        if (last == null || last.compareTo(position) < 0) {
            messages.addAll(store.after(roomName, last == null ? "" : last, position).messages());
        }
        int from = since == null ? Math.max(0, messages.size() - HISTORY_ON_JOIN) : 0;
        for (ServerFrame.ChatMessage message : messages.subList(from, messages.size())) {
            connection.enqueueReplay(message);
        }
    }

    private void retireIfEmpty(Room room) {
        if (room.isEmpty()) {
            room.retire();
            rooms.remove(room.name(), room);
        }
    }

    private static void unavailable(Connection connection, String ref, String roomName) {
        connection.sendError(ErrorCode.UNAVAILABLE,
                "the chat backplane is unreachable; nothing was done, try again shortly", ref, roomName);
    }

    /** A {@code leave} frame: takes the session out of the room and answers {@code left} or {@code not-joined}. */
    public void leave(Connection connection, String roomName) {
        if (depart(connection, roomName)) {
            connection.send(new ServerFrame.Left(roomName));
        } else {
            connection.sendError(ErrorCode.NOT_JOINED, "not in room " + roomName, null, roomName);
        }
    }

    /** Takes a closing session out of every room it is in. */
    public void leaveAll(Connection connection) {
        for (String roomName : Set.copyOf(connection.rooms())) {
            depart(connection, roomName);
        }
    }

    /** Takes a session out of a room; false when it was not in it. */
    private boolean depart(Connection connection, String roomName) {
        Room room = roomName == null ? null : rooms.get(roomName);
        if (room == null || !connection.rooms().contains(roomName)) {
            return false;
        }
        synchronized (room) {
            connection.rooms().remove(roomName);
            boolean wasIn = room.contains(connection);
            boolean lastHere = room.remove(connection);
            if (wasIn) {
                backplane.unfollow(roomName);
            }
            if (lastHere) {
                try {
                    Backplane.Membership membership = backplane.exit(roomName, connection.name());
                    if (membership.changed()) {
                        room.announceLater("leave", connection, membership.members());
                    }
                } catch (BackplaneUnavailableException e) {
                    // not refreshed any more: the entry expires and the expiry is announced
                }
            }
            retireIfEmpty(room);
        }
        room.publishAnnouncements(this::publishQuietly);
        return true;
    }

    /** A {@code chat} message: posted to the session's room, no acknowledgement. */
    public Optional<ServerFrame.ChatMessage> post(Connection sender, String roomName, String text) {
        return append(sender, roomName, text, null);
    }

    /**
     * A message with a {@code ref}: once the room's log has it and this node delivered it (so after
     * the sender's own copy), the sender is told its id under the {@code ref}.
     */
    public Optional<ServerFrame.ChatMessage> postAcknowledged(Connection sender, String roomName, String text,
                                                              String ref) {
        Optional<ServerFrame.ChatMessage> posted = append(sender, roomName, text, ref);
        posted.ifPresent(message -> {
            ServerFrame.Ack ack = new ServerFrame.Ack(ref, message.id());
            backplane.afterDelivered(roomName, message.id(), () -> {
                sender.enqueue(ack);
                return sender::flush;
            });
        });
        return posted;
    }

    private Optional<ServerFrame.ChatMessage> append(Connection sender, String roomName, String text, String ref) {
        if (memberRoom(sender, roomName, ref) == null) {
            return Optional.empty();
        }
        Optional<TextRules.Violation> violation = rules.check(text);
        if (violation.isPresent()) {
            sender.sendError(violation.get().code(), violation.get().message(), ref, roomName);
            return Optional.empty();
        }
        try {
            return Optional.of(store.append(roomName, sender.name(), text, now()));
        } catch (BackplaneUnavailableException e) {
            unavailable(sender, ref, roomName);
            return Optional.empty();
        }
    }

    /** Tells the room's other members that the sender is typing, a few times a second at most. */
    public void typing(Connection sender, String roomName) {
        if (memberRoom(sender, roomName, null) == null || !sender.allowTyping()) {
            return;
        }
        publishQuietly(Topic.room(roomName, FrameKind.TYPING).skipName(sender.name()),
                new ServerFrame.Typing(roomName, sender.name()));
    }

    /** Sends a page of a room's stored messages, oldest first. */
    public void history(Connection connection, String roomName, String before, Integer limit) {
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
            page = before == null ? store.latest(roomName, size) : store.before(roomName, before, size);
        } catch (BackplaneUnavailableException e) {
            unavailable(connection, null, roomName);
            return;
        }
        connection.send(new ServerFrame.History(roomName, page));
    }

    /** Sessions of this node in a room, for delivery. */
    public Collection<Connection> sessionsIn(String roomName) {
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

    /** Publishes a frame nobody waits for (presence, typing); lost when the backplane is down. */
    private void publishQuietly(Topic topic, ServerFrame frame) {
        try {
            broker.publish(topic, frame);
        } catch (BackplaneUnavailableException | IllegalStateException e) {
            // best effort: without its backplane (or once closed) a node cannot tell the others
        }
    }

    /** The room, when the session is in it; otherwise answers {@code not-joined} and returns null. */
    private Room memberRoom(Connection connection, String roomName, String ref) {
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
