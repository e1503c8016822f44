package dev.duplex.broker;

/**
 * Redis stream ids ({@code 1717000000000-3}: milliseconds, a dash, a sequence) as Duplex message
 * ids: 20 decimal digits, the milliseconds padded to 13 and the sequence to 7, so that plain string
 * order is stream order. Stream ids do not sort as strings ({@code -10} before {@code -9}); these do.
 */
public final class StreamIds {

    static final int MILLIS_WIDTH = 13;
    static final int SEQUENCE_WIDTH = 7;
    static final int WIDTH = MILLIS_WIDTH + SEQUENCE_WIDTH;
    /** The id before every real stream id. */
    public static final String ZERO = "0-0";

    private StreamIds() {
    }

    /** {@code 1717000000000-3} becomes {@code 17170000000000000003}. */
    public static String toMessageId(String streamId) {
        int dash = streamId.indexOf('-');
        if (dash < 1) {
            throw new IllegalArgumentException("not a stream id: " + streamId);
        }
        String millis = streamId.substring(0, dash);
        String sequence = streamId.substring(dash + 1);
        if (millis.length() > MILLIS_WIDTH || sequence.length() > SEQUENCE_WIDTH) {
            throw new IllegalArgumentException("stream id out of range: " + streamId);
        }
        return pad(millis, MILLIS_WIDTH) + pad(sequence, SEQUENCE_WIDTH);
    }

    /** The stream id of a message id, or null when {@code messageId} is not one of ours. */
    public static String toStreamId(String messageId) {
        if (messageId == null || messageId.length() != WIDTH || !messageId.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return null;
        }
        long millis = Long.parseLong(messageId.substring(0, MILLIS_WIDTH));
        long sequence = Long.parseLong(messageId.substring(MILLIS_WIDTH));
        return millis + "-" + sequence;
    }

    /** Compares two stream ids numerically. */
    public static int compare(String a, String b) {
        int dashA = a.indexOf('-');
        int dashB = b.indexOf('-');
        int byMillis = Long.compareUnsigned(Long.parseUnsignedLong(a.substring(0, dashA)),
                Long.parseUnsignedLong(b.substring(0, dashB)));
        if (byMillis != 0) {
            return byMillis;
        }
        return Long.compareUnsigned(Long.parseUnsignedLong(a.substring(dashA + 1)),
                Long.parseUnsignedLong(b.substring(dashB + 1)));
    }

    /** The smallest stream id after {@code streamId}, for exclusive ranges. */
    public static String next(String streamId) {
        int dash = streamId.indexOf('-');
        long millis = Long.parseUnsignedLong(streamId.substring(0, dash));
        long sequence = Long.parseUnsignedLong(streamId.substring(dash + 1));
        if (sequence == -1L) {
            return Long.toUnsignedString(millis + 1) + "-0";
        }
        return Long.toUnsignedString(millis) + "-" + Long.toUnsignedString(sequence + 1);
    }

    /** The largest stream id before {@code streamId} (which must not be 0-0), for exclusive ranges. */
    public static String previous(String streamId) {
        int dash = streamId.indexOf('-');
        long millis = Long.parseUnsignedLong(streamId.substring(0, dash));
        long sequence = Long.parseUnsignedLong(streamId.substring(dash + 1));
        if (sequence == 0) {
            return Long.toUnsignedString(millis - 1) + "-" + Long.toUnsignedString(-1L);
        }
        return Long.toUnsignedString(millis) + "-" + Long.toUnsignedString(sequence - 1);
    }

    private static String pad(String digits, int width) {
        return "0".repeat(width - digits.length()) + digits;
    }
}
