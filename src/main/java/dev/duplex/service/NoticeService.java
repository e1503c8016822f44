package dev.duplex.service;

import dev.duplex.broker.Broker;
import dev.duplex.broker.MessageIds;
import dev.duplex.broker.Topic;
import dev.duplex.message.ServerFrame;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/** Operator notices: one frame, encoded once, to every session in every room. */
public final class NoticeService {

    private final Broker broker;
    private final MessageIds ids;
    private final Clock clock;
    private final TextRules rules;

    public NoticeService(Broker broker, MessageIds ids, Clock clock, TextRules rules) {
        this.broker = broker;
        this.ids = ids;
        this.clock = clock;
        this.rules = rules;
    }

    /** Why this notice text is refused, or empty when it may be published. */
    public Optional<TextRules.Violation> check(String text) {
        return rules.check(text);
    }

    /** Publishes a notice whose text passed {@link #check}. */
    public ServerFrame.Notice publish(String text) {
        rules.check(text).ifPresent(v -> {
            throw new IllegalArgumentException(v.message());
        });
        ServerFrame.Notice notice = new ServerFrame.Notice(
                ids.next(), text, clock.instant().truncatedTo(ChronoUnit.MILLIS));
        broker.publish(Topic.EVERYONE, notice);
        return notice;
    }
}
