package dev.duplex.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.duplex.message.ClientFrame;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Seeded mutation fuzzing of {@link FrameCodec#decode}: valid frames of every client type, mutated
 * at byte and JSON level, must never make the decoder throw, and must always come back as a known
 * client frame or as {@code Rejected} with an error code that docs/PROTOCOL.md "Error codes" lists.
 *
 * <p>Reproducible: the seed is fixed ({@value #DEFAULT_SEED}, override with {@code -Dfuzz.seed=N},
 * size with {@code -Dfuzz.cases=N}) and printed with any failure together with the case number and
 * the exact input.
 */
public class FrameCodecFuzzTest {

    static final long DEFAULT_SEED = 20261122L;
    private static final int DEFAULT_CASES = 10_000;
    /** A single decode slower than this is an algorithmic denial of service (huge exponents, deep nesting). */
    private static final long MAX_DECODE_NANOS = 2_000_000_000L;

    /** Valid frames of every client type of both sub-protocols (docs/PROTOCOL.md "Client frames"). */
    public static final List<String> SEEDS = List.of(
            "{\"type\":\"message\",\"text\":\"hi\"}",
            "{\"type\":\"message\",\"room\":\"lobby\",\"text\":\"hello there\",\"ref\":\"c-17\"}",
            "{\"type\":\"message\",\"text\":\"caf\u00e9 \u05e9\u05dc\u05d5\u05dd \u202eevil \ud83d\udc4d\ud83c\udffd "
                    + "\ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67\",\"ref\":\"r\"}",
            "{\"type\":\"message\",\"text\":\"esc \\\" \\\\ \\n \\u00e9 \\t\"}",
            "{\"type\":\"ping\"}",
            "{\"type\":\"join\",\"room\":\"dev\"}",
            "{\"type\":\"join\",\"room\":\"dev\",\"since\":\"1795341600123000\"}",
            "{\"type\":\"leave\",\"room\":\"dev\"}",
            "{\"type\":\"direct\",\"to\":\"bob\",\"text\":\"lunch?\",\"ref\":\"c-18\"}",
            "{\"type\":\"typing\",\"room\":\"lobby\"}",
            "{\"type\":\"history\",\"room\":\"lobby\",\"before\":\"1795341600123000\",\"limit\":50}",
            "{\"type\":\"history\",\"room\":\"lobby\",\"limit\":200}",
            "{\"type\":\"history\",\"room\":\"lobby\"}");

    /** Tokens worth splicing into JSON: structure, escapes, numbers at the edges, other types. */
    private static final String[] TOKENS = {
        "{", "}", "[", "]", "\"", ":", ",", "\\", "\\u", "\\u00", "null", "true", "false", "0", "-0", "-1",
        "1e999999999", "-1e999999999", "1e-999999999", "123456789012345678901234567890", "2147483648",
        "1.5", "NaN", "Infinity", "\"\"", "[]", "{}", "\"type\"", "\"message\"", "\"history\"",
        "\"limit\":", "\"text\":", "\"room\":", "\\u0000", "\u0000", "\ufeff", "\u202e", "\u200d",
        "\ud83d\ude00", "\uffff", "\"type\":\"ping\",", "//", "/*", "\t", "\r\n", " "
    };
    private static final String[] TYPES = {"message", "ping", "join", "leave", "direct", "typing", "history",
        "Message", "PING", "", "rejected", "welcome", "error", "pong", "ack"};
    private static final String[] VALUES = {"null", "5", "-1", "0", "1.5", "true", "false", "[]", "{}", "[1,2]",
        "{\"a\":1}", "\"\"", "\"x\"", "\" \"", "1e999999999", "123456789012345678901234567890", "\"\\u0000\"",
        "\"" + "x".repeat(5000) + "\"", "[[[[[[[[[[]]]]]]]]]]"};

    @Test
    void tenThousandMutationsOfValidFramesNeverThrowAndAlwaysEndInAKnownFrameOrADocumentedError()
            throws IOException {
        long seed = Long.getLong("fuzz.seed", DEFAULT_SEED);
        int cases = Integer.getInteger("fuzz.cases", DEFAULT_CASES);
        Set<String> documented = documentedErrorCodes();
        Random random = new Random(seed);
        Map<String, Integer> outcomes = new TreeMap<>();
        long slowest = 0;
        for (int n = 0; n < cases; n++) {
            String input = mutate(random, SEEDS.get(random.nextInt(SEEDS.size())));
            long start = System.nanoTime();
            ClientFrame frame;
            try {
                frame = FrameCodec.decode(input);
            } catch (Throwable thrown) {
                throw failure(seed, n, input, "decode threw " + thrown, thrown);
            }
            long took = System.nanoTime() - start;
            slowest = Math.max(slowest, took);
            if (took > MAX_DECODE_NANOS) {
                throw failure(seed, n, input, "decode took " + took / 1_000_000 + " ms", null);
            }
            String outcome = check(frame, documented, input);
            if (outcome.startsWith("!")) {
                throw failure(seed, n, input, outcome.substring(1), null);
            }
            outcomes.merge(outcome, 1, Integer::sum);
        }
        System.out.printf("FrameCodecFuzzTest seed=%d cases=%d slowest decode=%.1f ms outcomes=%s%n",
                seed, cases, slowest / 1e6, outcomes);
        // The fuzzer must reach both sides: accepted frames and rejections of every parse stage.
        assertTrue(outcomes.keySet().stream().anyMatch(k -> !k.startsWith("rejected:")), outcomes.toString());
        for (String stage : List.of("rejected:bad-json", "rejected:bad-frame", "rejected:unknown-type")) {
            assertTrue(outcomes.containsKey(stage), "no case reached " + stage + ": " + outcomes);
        }
    }

    // Targeted inputs the random walk is unlikely to hit, each fed through the same checks.
    @Test
    void edgeInputsNeverThrowAndAreClassified() throws IOException {
        Set<String> documented = documentedErrorCodes();
        List<String> inputs = new ArrayList<>(List.of(
                "", " ", "\ufeff{\"type\":\"ping\"}", "null", "0", "\"ping\"", "[]", "{}", "{\"type\":null}",
                "{\"type\":5}", "{\"type\":[\"ping\"]}", "{\"type\":{\"type\":\"ping\"}}",
                "{\"type\":\"ping\"} {\"type\":\"ping\"}", "{\"type\":\"ping\"}\u0000", "{\"type\":\"ping\",}",
                "{'type':'ping'}", "{type:\"ping\"}", "{\"type\":\"ping\"", "{\"type\":\"pi\u0000ng\"}",
                "{\"type\":\"message\",\"text\":\"a\",\"text\":\"b\"}",
                "{\"type\":\"message\",\"text\":5,\"text\":\"ok\"}",
                "{\"type\":\"message\",\"text\":\"ok\",\"text\":5}",
                "{\"type\":\"history\",\"room\":\"r\",\"limit\":1e999999999}",
                "{\"type\":\"history\",\"room\":\"r\",\"limit\":-1e999999999}",
                "{\"type\":\"history\",\"room\":\"r\",\"limit\":1e-999999999}",
                "{\"type\":\"history\",\"room\":\"r\",\"limit\":123456789012345678901234567890}",
                "{\"type\":\"history\",\"room\":\"r\",\"limit\":2147483648}",
                "{\"type\":\"history\",\"room\":\"r\",\"limit\":-2147483649}",
                "{\"type\":\"history\",\"room\":\"r\",\"limit\":1.0}",
                "{\"type\":\"history\",\"room\":\"r\",\"limit\":1e2}",
                "{\"type\":\"history\",\"room\":\"r\",\"limit\":\"50\"}",
                "{\"type\":\"message\",\"text\":1e999999999}",
                "{\"type\":\"message\",\"text\":\"x\",\"room\":123456789012345678901234567890}",
                "{\"type\":\"ping\",\"x\":1e999999999,\"y\":-0.0e-99999999}",
                "{\"type\":\"message\",\"text\":\"\\u0000\"}",
                "{\"type\":\"message\",\"text\":\"\u0000\"}",
                "{\"type\":\"message\",\"text\":\"\\ud83d\\ude00\"}",
                "{\"type\":\"" + "x".repeat(100_000) + "\"}",
                "{\"" + "k".repeat(100_000) + "\":1,\"type\":\"ping\"}",
                // Nesting up to the parser's depth limit (1000) and beyond it.
                "[".repeat(999) + "]".repeat(999),
                "[".repeat(1001) + "]".repeat(1001),
                "[".repeat(30_000) + "]".repeat(30_000),
                "{\"type\":\"ping\",\"n\":1e9999999999}",
                "{\"type\":\"history\",\"room\":\"r\",\"limit\":1e9999999999}",
                "{\"type\":\"ping\",\"n\":" + "9".repeat(1200) + "}",
                "{\"type\":\"message\",\"text\":\"x\\ud800y\"}",
                "{\"type\":\"message\",\"text\":\"hi\",\"ref\":\"\\udfff\"}",
                "{\"type\":\"" + "\uD83D\uDE00".repeat(50) + "\"}",
                "{\"a\":".repeat(999) + "1" + "}".repeat(999),
                "{\"type\":\"ping\",\"deep\":" + "[".repeat(998) + "]".repeat(998) + "}",
                "{\"type\":\"message\",\"text\":\"x\",\"deep\":" + "{\"a\":".repeat(998) + "1"
                        + "}".repeat(999),
                "[".repeat(999)));
        for (String type : TYPES) {
            for (String value : VALUES) {
                for (String field : List.of("type", "text", "room", "ref", "to", "since", "before", "limit")) {
                    inputs.add("{\"type\":\"" + type + "\",\"" + field + "\":" + value + "}");
                }
            }
        }
        for (String input : inputs) {
            long start = System.nanoTime();
            ClientFrame frame;
            try {
                frame = FrameCodec.decode(input);
            } catch (Throwable thrown) {
                throw failure(-1, -1, input, "decode threw " + thrown, thrown);
            }
            long took = System.nanoTime() - start;
            String outcome = check(frame, documented, input);
            assertFalse(outcome.startsWith("!"), () -> outcome + " for " + escape(input));
            assertTrue(took < MAX_DECODE_NANOS, () -> "decode took " + took / 1_000_000 + " ms for " + escape(input));
        }
        // Documented answers for the number edge cases (PROTOCOL.md "Error codes": wrong JSON type is bad-frame).
        assertEquals("bad-frame", rejectedCode("{\"type\":\"history\",\"room\":\"r\",\"limit\":1e999999999}"));
        assertEquals("bad-frame", rejectedCode("{\"type\":\"history\",\"room\":\"r\",\"limit\":1.5}"));
        assertEquals("bad-frame", rejectedCode(
                "{\"type\":\"history\",\"room\":\"r\",\"limit\":123456789012345678901234567890}"));
        assertEquals("bad-frame", rejectedCode("{\"type\":\"message\",\"text\":1e999999999}"));
        assertEquals("bad-frame", rejectedCode("{\"type\":\"join\",\"room\":123456789012345678901234567890}"));
        assertEquals("bad-json", rejectedCode("\ufeff{\"type\":\"ping\"}"));
        assertEquals("bad-json", rejectedCode("{\"type\":\"ping\"} {\"type\":\"ping\"}"));
    }

    private static String rejectedCode(String input) {
        ClientFrame frame = FrameCodec.decode(input);
        return frame instanceof ClientFrame.Rejected rejected ? rejected.code() : "accepted as " + frame;
    }

    /** A short label of the outcome, or "!" and what is wrong with it. */
    private static String check(ClientFrame frame, Set<String> documented, String input) {
        if (frame == null) {
            return "!decode returned null";
        }
        if (frame instanceof ClientFrame.Rejected rejected && FrameCodec.FRAME_TOO_BIG.equals(rejected.code())) {
            // PROTOCOL.md "Close codes": over 64 KiB is no error frame but a 1009 close.
            return FrameCodec.utf8Length(input) > 65536 ? "closed 1009" : "!too big at " + FrameCodec.utf8Length(input) + " bytes";
        }
        if (frame instanceof ClientFrame.Rejected rejected) {
            if (!documented.contains(rejected.code())) {
                return "!undocumented error code " + rejected.code();
            }
            if (rejected.message() == null || rejected.message().isBlank()) {
                return "!rejection without a message";
            }
            return "rejected:" + rejected.code();
        }
        if (frame instanceof ClientFrame.SendMessage || frame instanceof ClientFrame.Ping
                || frame instanceof ClientFrame.Join || frame instanceof ClientFrame.Leave
                || frame instanceof ClientFrame.Direct || frame instanceof ClientFrame.Typing
                || frame instanceof ClientFrame.History) {
            return frame.getClass().getSimpleName();
        }
        return "!unknown frame class " + frame.getClass();
    }

    /** One to four stacked mutations of a seed: bytes, then decoded as a container would (UTF-8). */
    static String mutate(Random random, String seed) {
        byte[] bytes = seed.getBytes(StandardCharsets.UTF_8);
        int rounds = 1 + random.nextInt(4);
        for (int r = 0; r < rounds; r++) {
            bytes = mutateOnce(random, bytes);
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    public static byte[] mutateOnce(Random random, byte[] in) {
        int len = in.length;
        int at = len == 0 ? 0 : random.nextInt(len);
        switch (random.nextInt(11)) {
            case 0: { // flip one bit
                if (len == 0) {
                    return in;
                }
                byte[] out = in.clone();
                out[at] ^= (byte) (1 << random.nextInt(8));
                return out;
            }
            case 1: { // replace a byte with any byte
                if (len == 0) {
                    return in;
                }
                byte[] out = in.clone();
                out[at] = (byte) random.nextInt(256);
                return out;
            }
            case 2: { // delete a range
                int count = Math.min(len - at, 1 + random.nextInt(8));
                return concat(Arrays.copyOfRange(in, 0, at), Arrays.copyOfRange(in, at + count, len));
            }
            case 3: { // insert random bytes
                byte[] noise = new byte[1 + random.nextInt(4)];
                random.nextBytes(noise);
                return splice(in, at, noise);
            }
            case 4: // insert a JSON token
                return splice(in, at, TOKENS[random.nextInt(TOKENS.length)].getBytes(StandardCharsets.UTF_8));
            case 5: { // duplicate a range
                int count = Math.min(len - at, 1 + random.nextInt(16));
                return splice(in, at, Arrays.copyOfRange(in, at, at + count));
            }
            case 6: // truncate
                return Arrays.copyOf(in, at);
            case 7: // type confusion: a field's value becomes a value of another JSON type
                return replaceValue(random, in, VALUES[random.nextInt(VALUES.length)]);
            case 8: // swap two values
                return swapValues(random, in);
            case 9: // another type name
                return replaceTypeName(random, in);
            default: { // repeat the whole frame or a field (duplicate keys, trailing content)
                String text = new String(in, StandardCharsets.UTF_8);
                List<int[]> pairs = memberSpans(text);
                if (pairs.isEmpty() || random.nextBoolean()) {
                    return concat(in, in);
                }
                int[] span = pairs.get(random.nextInt(pairs.size()));
                String member = text.substring(span[0], span[1]);
                return (text.substring(0, span[1]) + "," + member + text.substring(span[1]))
                        .getBytes(StandardCharsets.UTF_8);
            }
        }
    }

    private static final Pattern MEMBER = Pattern.compile("\"([a-z]+)\":(\"(?:[^\"\\\\]++|\\\\.)*+\"|-?[0-9.eE+-]++|null|true|false)");

    private static List<int[]> memberSpans(String text) {
        List<int[]> spans = new ArrayList<>();
        Matcher m = MEMBER.matcher(text);
        while (m.find()) {
            spans.add(new int[] {m.start(), m.end(), m.start(2), m.end(2)});
        }
        return spans;
    }

    private static byte[] replaceValue(Random random, byte[] in, String value) {
        String text = new String(in, StandardCharsets.UTF_8);
        List<int[]> spans = memberSpans(text);
        if (spans.isEmpty()) {
            return in;
        }
        int[] span = spans.get(random.nextInt(spans.size()));
        return (text.substring(0, span[2]) + value + text.substring(span[3])).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] swapValues(Random random, byte[] in) {
        String text = new String(in, StandardCharsets.UTF_8);
        List<int[]> spans = memberSpans(text);
        if (spans.size() < 2) {
            return in;
        }
        int i = random.nextInt(spans.size());
        int j = random.nextInt(spans.size());
        if (i == j) {
            return in;
        }
        int[] a = spans.get(Math.min(i, j));
        int[] b = spans.get(Math.max(i, j));
        String swapped = text.substring(0, a[2]) + text.substring(b[2], b[3]) + text.substring(a[3], b[2])
                + text.substring(a[2], a[3]) + text.substring(b[3]);
        return swapped.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] replaceTypeName(Random random, byte[] in) {
        String text = new String(in, StandardCharsets.UTF_8);
        return text.replaceFirst("\"type\":\"[^\"]*\"", "\"type\":\"" + TYPES[random.nextInt(TYPES.length)] + "\"")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] splice(byte[] in, int at, byte[] insert) {
        return concat(concat(Arrays.copyOfRange(in, 0, at), insert), Arrays.copyOfRange(in, at, in.length));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** The codes of docs/PROTOCOL.md "Error codes" (the table's first column). */
    public static Set<String> documentedErrorCodes() throws IOException {
        String doc = Files.readString(Path.of("docs", "PROTOCOL.md"), StandardCharsets.UTF_8);
        int start = doc.indexOf("\n## Error codes");
        int end = doc.indexOf("\n## ", start + 1);
        Set<String> codes = new LinkedHashSet<>();
        Matcher row = Pattern.compile("(?m)^\\| `([a-z-]+)` \\|").matcher(doc.substring(start, end < 0 ? doc.length() : end));
        while (row.find()) {
            codes.add(row.group(1));
        }
        assertTrue(codes.contains("bad-json") && codes.contains("bad-frame"), "could not read PROTOCOL.md: " + codes);
        return codes;
    }

    private static AssertionError failure(long seed, int n, String input, String what, Throwable cause) {
        return new AssertionError("FrameCodecFuzzTest seed=" + seed + " case=" + n + ": " + what
                + "\n  input (" + input.length() + " chars): " + escape(input.length() > 2000
                ? input.substring(0, 2000) + "..." : input), cause);
    }

    public static String escape(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c < 0x20 || c > 0x7e) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
