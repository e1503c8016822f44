package dev.duplex.service;

import dev.duplex.message.ErrorCode;
import java.util.Optional;

/** The rules every chat and notice text must pass (docs/PROTOCOL.md, "Text"). */
public final class TextRules {

    private final int maxLength;

    public TextRules(int maxLength) {
        this.maxLength = maxLength;
    }

    /** Why this text is refused, or empty when it is fine. */
    public Optional<Violation> check(String text) {
        if (text == null || text.isBlank()) {
            return Optional.of(new Violation(ErrorCode.BLANK_TEXT, "text must not be missing or blank"));
        }
        if (!dev.duplex.codec.FrameCodec.isUnicode(text)) {
            // Half a surrogate pair cannot be stored or sent as UTF-8 (notices reach here undecoded).
            return Optional.of(new Violation(ErrorCode.BAD_FRAME, "text is not valid Unicode (unpaired surrogate)"));
        }
        // Counting code points means an emoji counts once, as a reader would count it.
        if (text.length() > maxLength && text.codePointCount(0, text.length()) > maxLength) {
            return Optional.of(new Violation(ErrorCode.TOO_LONG,
                    "text is longer than " + maxLength + " characters"));
        }
        return Optional.empty();
    }

    public int maxLength() {
        return maxLength;
    }

    /** A refused text: the error code and a message for the client. */
    public record Violation(ErrorCode code, String message) {
    }
}
