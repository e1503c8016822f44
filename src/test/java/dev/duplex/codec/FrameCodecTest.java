package dev.duplex.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.duplex.message.ClientFrame;
import dev.duplex.message.ServerFrame;
import java.time.Instant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The frames of docs/PROTOCOL.md, encoded and decoded. */
class FrameCodecTest {

    private static final Instant TS = Instant.parse("2026-11-22T10:00:00Z");

    @Test
    void welcomeHasTheDocumentedShape() {
        assertEquals("{\"type\":\"welcome\",\"protocol\":\"chat\",\"name\":\"alice\",\"room\":\"lobby\"}",
                FrameCodec.encode(new ServerFrame.Welcome("chat", "alice", "lobby")));
    }

    @Test
    void chatMessageHasTheDocumentedShape() {
        assertEquals("{\"type\":\"message\",\"id\":\"0000000000000042\",\"room\":\"lobby\",\"from\":\"alice\","
                        + "\"text\":\"hi\",\"ts\":\"2026-11-22T10:00:00Z\"}",
                FrameCodec.encode(new ServerFrame.ChatMessage("0000000000000042", "lobby", "alice", "hi", TS)));
    }

    @Test
    void millisecondsSurviveInTimestamps() {
        String json = FrameCodec.encode(new ServerFrame.Notice("1", "x", Instant.parse("2026-11-22T10:00:00.123Z")));
        assertTrue(json.contains("\"ts\":\"2026-11-22T10:00:00.123Z\""), json);
    }

    @Test
    void noticeHasTheDocumentedShape() {
        assertEquals("{\"type\":\"notice\",\"id\":\"7\",\"text\":\"maintenance at 6\",\"ts\":\"2026-11-22T10:00:00Z\"}",
                FrameCodec.encode(new ServerFrame.Notice("7", "maintenance at 6", TS)));
    }

    @Test
    void errorHasTheDocumentedShape() {
        assertEquals("{\"type\":\"error\",\"code\":\"bad-json\",\"message\":\"nope\"}",
                FrameCodec.encode(new ServerFrame.Error("bad-json", "nope")));
    }

    @Test
    void pongIsJustItsType() {
        assertEquals("{\"type\":\"pong\"}", FrameCodec.encode(new ServerFrame.Pong()));
    }

    @Test
    void textIsEscapedNotInterpreted() {
        String json = FrameCodec.encode(new ServerFrame.Error("x", "\"quoted\" </script> \u2028 \n"));
        ClientFrame back = FrameCodec.decode(json.replace("\"type\":\"error\"", "\"type\":\"message\"")
                .replace("\"message\":", "\"text\":"));
        assertEquals(new ClientFrame.SendMessage("\"quoted\" </script> \u2028 \n", null, null), back);
    }

    @Test
    void decodesMessage() {
        assertEquals(new ClientFrame.SendMessage("hi", null, null), FrameCodec.decode("{\"type\":\"message\",\"text\":\"hi\"}"));
    }

    @Test
    void extraFieldsAreIgnored() {
        assertEquals(new ClientFrame.SendMessage("hi", null, null),
                FrameCodec.decode("{\"text\":\"hi\",\"type\":\"message\",\"client\":{\"v\":2}}"));
    }

    @Test
    void decodesMessageWithoutTextAsNullText() {
        ClientFrame frame = FrameCodec.decode("{\"type\":\"message\"}");
        assertNull(assertInstanceOf(ClientFrame.SendMessage.class, frame).text());
    }

    @Test
    void decodesPing() {
        assertEquals(new ClientFrame.Ping(), FrameCodec.decode("{\"type\":\"ping\"}"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "{", "not json", "{\"type\":\"message\",}", "{\"type\":'message'}",
            "{\"type\":\"message\",\"text\":\"hi\"} trailing", "\u0000"})
    void malformedJsonIsBadJson(String text) {
        assertRejected("bad-json", FrameCodec.decode(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"[]", "42", "\"message\"", "null", "true", "{}", "{\"type\":null}",
            "{\"type\":7}", "{\"type\":[\"message\"]}", "{\"text\":\"hi\"}"})
    void nonObjectsAndMissingTypeAreBadFrame(String text) {
        assertRejected("bad-frame", FrameCodec.decode(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"type\":\"dance\"}", "{\"type\":\"MESSAGE\",\"text\":\"hi\"}", "{\"type\":\"\"}",
            "{\"type\":\"welcome\"}", "{\"type\":\"error\"}"})
    void unknownTypesAreUnknownType(String text) {
        assertRejected("unknown-type", FrameCodec.decode(text));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"type\":\"message\",\"text\":5}",
            "{\"type\":\"message\",\"text\":{}}",
            "{\"type\":\"message\",\"text\":[\"a\"]}",
            "{\"type\":\"message\",\"text\":true}"})
    void wrongFieldTypesAreBadFrame(String text) {
        assertRejected("bad-frame", FrameCodec.decode(text));
    }

    @Test
    void unknownTypeNameIsShortenedInTheMessage() {
        ClientFrame.Rejected rejected = assertInstanceOf(ClientFrame.Rejected.class,
                FrameCodec.decode("{\"type\":\"" + "x".repeat(10_000) + "\"}"));
        assertTrue(rejected.message().length() < 200, rejected.message());
    }

    // PROTOCOL.md "Frames": over 64 KiB closes with 1009, even where the container lets it through.
    @Test
    void framesOver64KiBAreRejectedAsTooBigByUtf8Size() {
        String exactly = "{\"type\":\"message\",\"text\":\"" + "x".repeat(65536 - 28) + "\"}";
        assertEquals(65536, FrameCodec.utf8Length(exactly));
        // Exactly 64 KiB is a frame (its text is then too long, which the service answers).
        assertInstanceOf(ClientFrame.SendMessage.class, FrameCodec.decode(exactly));
        assertEquals(FrameCodec.FRAME_TOO_BIG, ((ClientFrame.Rejected) FrameCodec.decode(exactly + " ")).code());
        String threeByteChars = "\u4e2d".repeat(21846); // 65 538 bytes in 21 846 chars
        assertEquals(FrameCodec.FRAME_TOO_BIG, ((ClientFrame.Rejected) FrameCodec.decode(threeByteChars)).code());
        assertEquals(1 + 2 + 3 + 4, FrameCodec.utf8Length("a\u00e9\u4e2d\uD83D\uDE00"));
    }

    private static void assertRejected(String code, ClientFrame frame) {
        ClientFrame.Rejected rejected = assertInstanceOf(ClientFrame.Rejected.class, frame);
        assertEquals(code, rejected.code(), rejected.message());
        assertTrue(!rejected.message().isBlank());
    }
}
