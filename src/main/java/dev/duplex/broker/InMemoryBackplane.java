package dev.duplex.broker;

import dev.duplex.message.ServerFrame;
import dev.duplex.message.ServerFrame.ChatMessage;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The backplane of a node that is alone: everything stays in this JVM. Appending a message and
 * queueing it for the room's sessions happen under the room's delivery lock, so a joining session
 * sees each message once, in the replay or live, exactly as with Redis; sending starts once the
 * lock is released. Nothing here is ever unreachable, trimmed before delivery or expired.
 */
public final class InMemoryBackplane implements Backplane {

    /** Delivery locks, shared by rooms whose names hash alike: rooms come and go, the stripes stay. */
    private static final int STRIPES = 64;

    private final Object[] deliveryLocks = new Object[STRIPES];
    private final MessageStore log;
    private final LocalBroker broker = new LocalBroker();
    private final LocalStore store = new LocalStore();
    private final Map<String, TreeSet<String>> members = new ConcurrentHashMap<>();
    private final Map<String, Integer> online = new ConcurrentHashMap<>();
    private final SubscriberSlot subscriber = new SubscriberSlot();
    private volatile boolean closed;

    /** @param log where the rooms' messages are kept (it assigns their ids) */
    public InMemoryBackplane(MessageStore log) {
        this.log = log;
        for (int i = 0; i < STRIPES; i++) {
            deliveryLocks[i] = new Object();
        }
    }

    private Object deliveryLock(String room) {
        return deliveryLocks[Math.floorMod(room.hashCode(), STRIPES)];
    }

    @Override
    public Broker broker() {
        return broker;
    }

    @Override
    public MessageStore store() {
        return store;
    }

    @Override
    public void follow(String room, String since, Consumer<String> atPosition) {
        synchronized (deliveryLock(room)) {
            List<ChatMessage> last = log.latest(room, 1);
            atPosition.accept(last.isEmpty() ? null : last.get(0).id());
        }
    }

    @Override
    public void unfollow(String room) {
        // Nothing is followed here: every message is delivered as it is appended.
    }

    @Override
    public void afterDelivered(String room, String id, Supplier<Runnable> queue) {
        Runnable sending;
        synchronized (deliveryLock(room)) {
            sending = queue.get(); // append delivered the message before it returned
        }
        sending.run();
    }

    @Override
    public Membership enter(String room, String name) {
        TreeSet<String> names = members.computeIfAbsent(room, r -> new TreeSet<>());
        synchronized (names) {
            boolean changed = names.add(name);
            return new Membership(changed, new ArrayList<>(names));
        }
    }

    @Override
    public Membership exit(String room, String name) {
        TreeSet<String> names = members.get(room);
        if (names == null) {
            return new Membership(false, List.of());
        }
        synchronized (names) {
            boolean changed = names.remove(name);
            if (names.isEmpty()) {
                members.remove(room, names);
            }
            return new Membership(changed, new ArrayList<>(names));
        }
    }

    @Override
    public List<String> members(String room) {
        TreeSet<String> names = members.get(room);
        if (names == null) {
            return List.of();
        }
        synchronized (names) {
            return new ArrayList<>(names);
        }
    }

    @Override
    public void onExpired(ExpiryListener listener) {
        // members of a single node never expire: they leave when their session closes
    }

    @Override
    public void onGap(GapListener listener) {
        // a single node delivers every message as it is appended: it never falls behind
    }

    @Override
    public void online(String name) {
        online.merge(name, 1, Integer::sum);
    }

    @Override
    public void offline(String name) {
        online.computeIfPresent(name, (n, count) -> count == 1 ? null : count - 1);
    }

    @Override
    public boolean reachable(String name) {
        return online.containsKey(name);
    }

    @Override
    public boolean healthy() {
        return !closed;
    }

    @Override
    public String kind() {
        return "memory";
    }

    @Override
    public String nodeId() {
        return null;
    }

    @Override
    public void close() {
        closed = true;
        subscriber.clear();
    }

    private Runnable deliver(Topic topic, Published frame) {
        if (closed) {
            throw new IllegalStateException("backplane is closed");
        }
        return subscriber.deliver(topic, frame);
    }

    /** Publishing hands the frame to this node's subscriber on the publishing thread. */
    private final class LocalBroker implements Broker {

        @Override
        public void publish(Topic topic, ServerFrame frame) {
            deliver(topic, Published.of(frame)).run();
        }

        @Override
        public AutoCloseable subscribe(Subscriber newSubscriber) {
            return subscriber.subscribe(newSubscriber);
        }

        @Override
        public void close() {
            subscriber.clear();
        }
    }

    /** The log, with appends delivered under the room's delivery lock. */
    private final class LocalStore implements MessageStore {

        @Override
        public ChatMessage append(String room, String from, String text, Instant ts) {
            ChatMessage message;
            Runnable sending;
            synchronized (deliveryLock(room)) {
                message = log.append(room, from, text, ts);
                sending = deliver(Topic.room(room), Published.of(message));
            }
            sending.run();
            return message;
        }

        @Override
        public Replay after(String room, String sinceId) {
            return log.after(room, sinceId);
        }

        @Override
        public Replay after(String room, String sinceId, String upToId) {
            return log.after(room, sinceId, upToId);
        }

        @Override
        public List<ChatMessage> latest(String room, int limit) {
            return log.latest(room, limit);
        }

        @Override
        public List<ChatMessage> before(String room, String beforeId, int limit) {
            return log.before(room, beforeId, limit);
        }

        @Override
        public int keptPerRoom() {
            return log.keptPerRoom();
        }
    }
}
