package dev.duplex.service;

import dev.duplex.broker.Broker;
import dev.duplex.broker.InMemoryBroker;
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
        this.subscription = broker.subscribe(registry);
        MessageIds ids = new MessageIds(clock);
        TextRules rules = new TextRules(config.maxTextLength());
        ChatProtocol chat = new ChatProtocol(new ChatService(broker, ids, clock, rules));
        SubProtocols protocols = new SubProtocols(List.of(new SuperchatProtocol(chat), chat));
        this.sessions = new SessionManager(config, registry, protocols);
        this.notices = new NoticeService(broker, ids, clock, rules);
        this.originPolicy = new OriginPolicy(config.allowedOrigins());
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
