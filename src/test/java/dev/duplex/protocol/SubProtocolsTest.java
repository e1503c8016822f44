package dev.duplex.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** docs/PROTOCOL.md "Sub-protocols". */
class SubProtocolsTest {

    private static final List<String> SUPPORTED = List.of("superchat", "chat");

    @Test
    void picksTheClientsFirstSupportedChoice() {
        assertEquals("chat", SubProtocols.negotiate(SUPPORTED, List.of("chat", "superchat")));
        assertEquals("superchat", SubProtocols.negotiate(SUPPORTED, List.of("superchat", "chat")));
        assertEquals("chat", SubProtocols.negotiate(SUPPORTED, List.of("v2.chat", "chat")));
    }

    @Test
    void splitsAnUnsplitHeader() {
        assertEquals("chat", SubProtocols.negotiate(SUPPORTED, List.of("foo, chat ,superchat")));
    }

    @Test
    void agreesOnNothingWhenNothingMatches() {
        assertEquals("", SubProtocols.negotiate(SUPPORTED, List.of()));
        assertEquals("", SubProtocols.negotiate(SUPPORTED, List.of("Chat", "SUPERCHAT", "")));
    }

    @Test
    void anUnknownHandlerNameFailsLoudly() {
        SubProtocols protocols = new SubProtocols(List.of());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> protocols.find("chat"));
        assertEquals("no handler for sub-protocol 'chat'; known: []", e.getMessage());
    }
}
