package dev.duplex.service;

import dev.duplex.broker.Broker;
import dev.duplex.broker.InMemoryBroker;
import dev.duplex.broker.InMemoryMessageStore;
import dev.duplex.broker.MessageIds;
import dev.duplex.broker.MessageStore;
import dev.duplex.message.ServerFrame;
import dev.duplex.config.DuplexConfig;
import dev.duplex.protocol.ChatProtocol;
import dev.duplex.protocol.SubProtocols;
import dev.duplex.protocol.SuperchatProtocol;
import jakarta.websocket.CloseReason;
import java.time.Clock;
import java.util.List;

/**
 * One running chat application: every service, wired once. Plain Java on purpose, so the same
 * graph runs under CDI ({@link DuplexBean}) and on containers without it.
 */
public final class Duplex implements AutoCloseable {

    private final DuplexConfig config;
    private final Broker broker;
    private final ConnectionRegistry registry;
    private final RoomService rooms;
    private final AutoCloseable subscription;
    private final SessionManager sessions;
    private final NoticeService notices;
    private final OriginPolicy originPolicy;
    private volatile boolean closed;

    public Duplex(DuplexConfig config) {
        this(config, Clock.systemUTC());
    }

    public Duplex(DuplexConfig config, Clock clock) {
        this.config = config;
        this.broker = new InMemoryBroker();
        this.registry = new ConnectionRegistry();
        MessageIds ids = new MessageIds(clock);
        TextRules rules = new TextRules(config.maxTextLength());
        MessageStore store = new InMemoryMessageStore(ids, config.historyPerRoom(), config.historyMaxRooms());
        this.rooms = new RoomService(store, broker, clock, rules, config.maxRoomsPerSession());
        this.subscription = broker.subscribe(new LocalDelivery(registry, rooms));
        DirectService directs = new DirectService(registry, broker, ids, clock, rules);
        SubProtocols protocols = new SubProtocols(List.of(
                new SuperchatProtocol(rooms, directs), new ChatProtocol(rooms)));
        this.sessions = new SessionManager(config, registry, rooms, protocols, limits(config));
        this.notices = new NoticeService(broker, ids, clock, rules);
        this.originPolicy = new OriginPolicy(config.allowedOrigins());
    }

    private static ServerFrame.Limits limits(DuplexConfig config) {
        return new ServerFrame.Limits(config.maxTextLength(), DuplexConfig.MAX_FRAME_BYTES,
                config.maxRoomsPerSession(), config.historyPerRoom(), RoomService.HISTORY_ON_JOIN,
                RoomService.HISTORY_PAGE_MAX, RoomService.TYPING_PER_SECOND);
    }

    public DuplexConfig config() {
        return config;
    }

    public SessionManager sessions() {
        return sessions;
    }

    public NoticeService notices() {
        return notices;
    }

    public OriginPolicy originPolicy() {
        return originPolicy;
    }

    public ConnectionRegistry connections() {
        return registry;
    }

    public RoomService rooms() {
        return rooms;
    }

    /** Closes every session with 1001 and stops the broker. Safe to call twice. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        sessions.closeAll(new CloseReason(CloseReason.CloseCodes.GOING_AWAY, "server shutting down"));
        try {
            subscription.close();
        } catch (Exception e) {
            throw new IllegalStateException("could not unsubscribe from the broker", e);
        }
        broker.close();
    }
}
