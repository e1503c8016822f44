package dev.duplex.service;

import dev.duplex.broker.Backplane;
import dev.duplex.broker.BackplaneUnavailableException;
import dev.duplex.broker.Broker;
import dev.duplex.broker.MessageIds;
import dev.duplex.broker.Topic;
import dev.duplex.codec.FrameCodec;
import dev.duplex.message.ServerFrame;
import dev.duplex.protocol.ErrorCode;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * Direct messages between users: delivered to every {@code superchat} session of the recipient
 * and every other session of the sender, acknowledged to the sending session. Not stored.
 */
public final class DirectService {

    private final ConnectionRegistry registry;
    private final Broker broker;
    private final MessageIds ids;
    private final Clock clock;
    private final TextRules rules;
    /** The cluster, to find users on other nodes; null for a single node. */
    private final Backplane cluster;

    public DirectService(ConnectionRegistry registry, Broker broker, MessageIds ids, Clock clock, TextRules rules) {
        this(registry, broker, ids, clock, rules, null);
    }

    public DirectService(ConnectionRegistry registry, Broker broker, MessageIds ids, Clock clock, TextRules rules,
                         Backplane cluster) {
        this.cluster = cluster;
        this.registry = registry;
        this.broker = broker;
        this.ids = ids;
        this.clock = clock;
        this.rules = rules;
    }

    public void send(ChatConnection sender, String to, String text, String ref) {
        if (to == null || to.isBlank()) {
            sender.sendError(ErrorCode.BAD_FRAME, "field \"to\" is required", ref, null);
            return;
        }
        Optional<TextRules.Violation> violation = rules.check(text);
        if (violation.isPresent()) {
            sender.sendError(violation.get().code(), violation.get().message(), ref, null);
            return;
        }
        boolean reachable = registry.sessionsOf(to).stream().anyMatch(ChatConnection::superchat);
        if (!reachable && cluster != null) {
            try {
                reachable = cluster.reachable(to);
            } catch (BackplaneUnavailableException e) {
                unavailable(sender, ref);
                return;
            }
        }
        if (!reachable) {
            sender.sendError(ErrorCode.NO_SUCH_USER,
                    "no superchat session of user " + to + " is connected", ref, null);
            return;
        }
        ServerFrame.DirectMessage direct = new ServerFrame.DirectMessage(ids.next(), sender.name(), to, text,
                clock.instant().truncatedTo(ChronoUnit.MILLIS));
        String encoded = FrameCodec.encode(direct);
        try {
            broker.publish(Topic.user(to).onlySuperchat().skipSession(sender.id()), encoded);
        } catch (BackplaneUnavailableException e) {
            unavailable(sender, ref);
            return;
        }
        if (!to.equals(sender.name())) {
            try {
                broker.publish(Topic.user(sender.name()).onlySuperchat().skipSession(sender.id()), encoded);
            } catch (BackplaneUnavailableException e) {
                // the recipient has it; only the sender's other tabs miss their copy
            }
        }
        sender.send(new ServerFrame.Ack(ref, direct.id()));
    }

    private static void unavailable(ChatConnection sender, String ref) {
        sender.sendError(ErrorCode.UNAVAILABLE,
                "the chat backplane is unreachable; the direct message was not sent, try again shortly", ref, null);
    }
}
