package dev.duplex.service;

import dev.duplex.broker.Backplane;
import dev.duplex.broker.BackplaneUnavailableException;
import dev.duplex.broker.Broker;
import dev.duplex.broker.MessageIds;
import dev.duplex.broker.Topic;
import dev.duplex.connection.Connection;
import dev.duplex.connection.ConnectionRegistry;
import dev.duplex.message.ErrorCode;
import dev.duplex.message.FrameKind;
import dev.duplex.message.ServerFrame;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * Direct messages between users: delivered to every session of the recipient that takes directs
 * and every other such session of the sender, acknowledged to the sending session. Not stored.
 */
public final class DirectService {

    private final ConnectionRegistry registry;
    private final Backplane backplane;
    private final Broker broker;
    private final MessageIds ids;
    private final Clock clock;
    private final TextRules rules;

    /** @param backplane finds users on every node and carries the message to them */
    public DirectService(ConnectionRegistry registry, Backplane backplane, MessageIds ids, Clock clock,
                         TextRules rules) {
        this.registry = registry;
        this.backplane = backplane;
        this.broker = backplane.broker();
        this.ids = ids;
        this.clock = clock;
        this.rules = rules;
    }

    public void send(Connection sender, String to, String text, String ref) {
        if (to == null || to.isBlank()) {
            sender.sendError(ErrorCode.BAD_FRAME, "field \"to\" is required", ref, null);
            return;
        }
        Optional<TextRules.Violation> violation = rules.check(text);
        if (violation.isPresent()) {
            sender.sendError(violation.get().code(), violation.get().message(), ref, null);
            return;
        }
        boolean reachable;
        try {
            // A session here answers without asking the directory.
            reachable = registry.sessionsOf(to).stream().anyMatch(c -> c.receives(FrameKind.DIRECT))
                    || backplane.reachable(to);
        } catch (BackplaneUnavailableException e) {
            unavailable(sender, ref);
            return;
        }
        if (!reachable) {
            sender.sendError(ErrorCode.NO_SUCH_USER,
                    "no superchat session of user " + to + " is connected", ref, null);
            return;
        }
        ServerFrame.DirectMessage direct = new ServerFrame.DirectMessage(ids.next(), sender.name(), to, text,
                clock.instant().truncatedTo(ChronoUnit.MILLIS));
        try {
            broker.publish(Topic.user(to).skipConnection(sender.id()), direct);
        } catch (BackplaneUnavailableException e) {
            unavailable(sender, ref);
            return;
        }
        if (!to.equals(sender.name())) {
            try {
                broker.publish(Topic.user(sender.name()).skipConnection(sender.id()), direct);
            } catch (BackplaneUnavailableException e) {
                // the recipient has it; only the sender's other tabs miss their copy
            }
        }
        sender.send(new ServerFrame.Ack(ref, direct.id()));
    }

    private static void unavailable(Connection sender, String ref) {
        sender.sendError(ErrorCode.UNAVAILABLE,
                "the chat backplane is unreachable; the direct message was not sent, try again shortly", ref, null);
    }
}
