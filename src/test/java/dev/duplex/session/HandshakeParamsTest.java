package dev.duplex.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

/** docs/PROTOCOL.md "Connecting": the name and room rules. */
class HandshakeParamsTest {

    @Test
    void acceptsNameAndDefaultsTheRoom() throws Exception {
        assertEquals(new HandshakeParams("alice", "lobby", null), HandshakeParams.parse("name=alice"));
        assertEquals(new HandshakeParams("alice", "lobby", null), HandshakeParams.parse("name=alice&room="));
        assertEquals(new HandshakeParams("alice", "dev-42", null), HandshakeParams.parse("room=dev-42&name=alice"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "name=%20%20bob%20|bob",
            "name=Ann+Lee|Ann Lee",
            "name=%ED%95%9C%EA%B8%80|\ud55c\uae00",
            "name=%F0%9F%98%80|\uD83D\uDE00",
            "name=a%2Bb|a+b",
            "name=first&name=second|first"})
    void decodesTheQueryAsUtf8(String query, String name) throws Exception {
        assertEquals(name, HandshakeParams.parse(query).name());
    }

    @Test
    void countsNameLengthInCharacters() throws Exception {
        assertEquals(32, HandshakeParams.parse("name=" + "%F0%9F%98%80".repeat(32)).name().codePointCount(0, 64));
        assertThrows(HandshakeParams.InvalidParameter.class, () -> HandshakeParams.parse("name=" + "x".repeat(33)));
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"room=lobby", "name=", "name=%20%09", "name=a%00b", "name=a%0Ab", "name=a%7Fb",
            "name=%E0%A", "name=%"})
    void refusesMissingBlankOrControlNames(String query) {
        HandshakeParams.InvalidParameter invalid = assertThrows(HandshakeParams.InvalidParameter.class,
                () -> HandshakeParams.parse(query));
        assertTrue(invalid.getMessage().contains("name") || invalid.getMessage().contains("percent"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"Lobby", "has%20space", "under_score", "caf%C3%A9", "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"})
    void refusesInvalidRooms(String room) {
        HandshakeParams.InvalidParameter invalid = assertThrows(HandshakeParams.InvalidParameter.class,
                () -> HandshakeParams.parse("name=alice&room=" + room));
        assertTrue(invalid.getMessage().contains("room"));
    }
}
