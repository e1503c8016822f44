package dev.duplex.service;

import dev.duplex.broker.Broker;
import dev.duplex.broker.Topic;
import dev.duplex.codec.FrameCodec;
import dev.duplex.message.ServerFrame;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * Chat messages: checks the text, stamps id and time, encodes the frame once and publishes it to
 * the room through the broker.
 */
public final class ChatService {

    private static final int LOCK_STRIPES = 64;

    private final Broker broker;
    private final MessageIds ids;
    private final Clock clock;
    private final TextRules rules;
    /** Id assignment and publishing happen under the room's stripe, so members see ids in order. */
    private final Object[] roomLocks = new Object[LOCK_STRIPES];

    public ChatService(Broker broker, MessageIds ids, Clock clock, TextRules rules) {
        this.broker = broker;
        this.ids = ids;
        this.clock = clock;
        this.rules = rules;
        for (int i = 0; i < LOCK_STRIPES; i++) {
            roomLocks[i] = new Object();
        }
    }

    /**
     * Posts {@code text} from {@code sender} to its room; a refused text is answered with an
     * {@code error} frame to the sender alone.
     *
     * @return the published message, or empty when the text was refused
     */
    public Optional<ServerFrame.ChatMessage> post(ChatConnection sender, String text) {
        Optional<TextRules.Violation> violation = rules.check(text);
        if (violation.isPresent()) {
            sender.sendError(violation.get().code(), violation.get().message());
            return Optional.empty();
        }
        String room = sender.room();
        synchronized (roomLocks[Math.floorMod(room.hashCode(), LOCK_STRIPES)]) {
            ServerFrame.ChatMessage message = new ServerFrame.ChatMessage(
                    ids.next(), room, sender.name(), text, now());
            broker.publish(Topic.room(room), FrameCodec.encode(message));
            return Optional.of(message);
        }
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MILLIS);
    }
}
