package dev.duplex.support;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;

/**
 * A deliberately bare WebSocket client over a plain socket, for what well-behaved clients never
 * do: send invalid UTF-8 or odd opcodes, never answer pings, never read, connect from a chosen
 * loopback address. Reads are bounded by {@link ChatTestClient#TIMEOUT}.
 */
public final class RawWebSocket implements AutoCloseable {

    public static final int TEXT = 0x1;
    public static final int BINARY = 0x2;
    public static final int CLOSE = 0x8;
    public static final int PING = 0x9;
    public static final int PONG = 0xA;

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Socket socket;
    private final CountingInputStream counted;
    private final DataInputStream in;
    private final OutputStream out;
    private final String protocol;

    /** One frame as received. */
    public record Frame(int opcode, byte[] payload) {
        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        /** The close code of a close frame, or 1005 when it carries none. */
        public int closeCode() {
            return payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : 1005;
        }
    }

    private RawWebSocket(Socket socket, String protocol) throws IOException {
        this.socket = socket;
        this.counted = new CountingInputStream(socket.getInputStream());
        this.in = new DataInputStream(counted);
        this.out = socket.getOutputStream();
        this.protocol = protocol;
    }

    /**
     * Opens {@code uri} (ws://) from the given local address (null for any), offering
     * {@code protocols}, with extra handshake headers; fails unless the server answers 101.
     */
    public static RawWebSocket connect(URI uri, String localAddress, Map<String, String> headers,
                                       String... protocols) throws IOException {
        return connect(uri, localAddress, headers, 0, protocols);
    }

    /**
     * As {@link #connect(URI, String, Map, String...)}, with the socket's receive buffer set to
     * {@code receiveBufferBytes} (when positive) before connecting, so that the TCP window the
     * server sees is that small from the first byte.
     */
    public static RawWebSocket connect(URI uri, String localAddress, Map<String, String> headers,
                                       int receiveBufferBytes, String... protocols) throws IOException {
        Socket socket = new Socket();
        if (receiveBufferBytes > 0) {
            socket.setReceiveBufferSize(receiveBufferBytes);
        }
        if (localAddress != null) {
            socket.bind(new InetSocketAddress(InetAddress.getByName(localAddress), 0));
        }
        socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), (int) ChatTestClient.TIMEOUT.toMillis());
        socket.setSoTimeout((int) ChatTestClient.TIMEOUT.toMillis());
        byte[] nonce = new byte[16];
        RANDOM.nextBytes(nonce);
        StringBuilder request = new StringBuilder()
                .append("GET ").append(uri.getRawPath()).append(uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery())
                .append(" HTTP/1.1\r\n")
                .append("Host: ").append(uri.getHost()).append(':').append(uri.getPort()).append("\r\n")
                .append("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n")
                .append("Sec-WebSocket-Key: ").append(Base64.getEncoder().encodeToString(nonce)).append("\r\n");
        if (protocols.length > 0) {
            request.append("Sec-WebSocket-Protocol: ").append(String.join(", ", protocols)).append("\r\n");
        }
        headers.forEach((name, value) -> request.append(name).append(": ").append(value).append("\r\n"));
        request.append("\r\n");
        socket.getOutputStream().write(request.toString().getBytes(StandardCharsets.ISO_8859_1));
        String response = readHead(socket.getInputStream());
        if (!response.startsWith("HTTP/1.1 101")) {
            socket.close();
            throw new IOException("handshake refused: " + response.lines().findFirst().orElse(response));
        }
        String agreed = response.lines()
                .filter(line -> line.regionMatches(true, 0, "Sec-WebSocket-Protocol:", 0, 23))
                .map(line -> line.substring(23).trim()).findFirst().orElse("");
        return new RawWebSocket(socket, agreed);
    }

    public static RawWebSocket connect(URI uri, String... protocols) throws IOException {
        return connect(uri, null, Map.of(), protocols);
    }

    public String protocol() {
        return protocol;
    }

    /** Bytes read from the socket since the handshake: frames with their headers. */
    public long bytesReceived() {
        return counted.count;
    }

    /** The receive buffer the kernel granted (Linux reports twice what was asked for). */
    public int receiveBufferSize() throws IOException {
        return socket.getReceiveBufferSize();
    }

    /** Sets how long one read may wait before it fails. */
    public void setReadTimeout(java.time.Duration timeout) throws IOException {
        socket.setSoTimeout(Math.toIntExact(timeout.toMillis()));
    }

    /** Sends one whole (FIN) frame, masked as clients must. */
    public void send(int opcode, byte[] payload) throws IOException {
        writeFrame(0x80 | opcode, payload, true);
    }

    /**
     * Writes one frame with any first byte (FIN, RSV bits, opcode) and, if {@code masked} is false,
     * no mask: for frames a well-behaved client never sends.
     */
    public void writeFrame(int firstByte, byte[] payload, boolean masked) throws IOException {
        int maskBit = masked ? 0x80 : 0;
        ByteArrayOutputStream frame = new ByteArrayOutputStream(payload.length + 14);
        frame.write(firstByte);
        if (payload.length < 126) {
            frame.write(maskBit | payload.length);
        } else if (payload.length < 65536) {
            frame.write(maskBit | 126);
            frame.write(payload.length >>> 8);
            frame.write(payload.length);
        } else {
            frame.write(maskBit | 127);
            for (int shift = 56; shift >= 0; shift -= 8) {
                frame.write((int) ((long) payload.length >>> shift));
            }
        }
        byte[] mask = new byte[4];
        if (masked) {
            RANDOM.nextBytes(mask);
            frame.write(mask, 0, 4);
        }
        for (int i = 0; i < payload.length; i++) {
            frame.write(payload[i] ^ mask[i & 3]); // an all-zero mask leaves the payload as is
        }
        out.write(frame.toByteArray());
        out.flush();
    }

    public void sendText(String text) throws IOException {
        send(TEXT, text.getBytes(StandardCharsets.UTF_8));
    }

    /** The next frame from the server; fails after the timeout. */
    public Frame read() throws IOException {
        int first = in.readUnsignedByte();
        int second = in.readUnsignedByte();
        long length = second & 0x7F;
        if (length == 126) {
            length = in.readUnsignedShort();
        } else if (length == 127) {
            length = in.readLong();
        }
        byte[] payload = new byte[Math.toIntExact(length)];
        in.readFully(payload);
        return new Frame(first & 0x0F, payload);
    }

    /** The next text frame, answering nothing and skipping control frames. */
    public String readText() throws IOException {
        while (true) {
            Frame frame = read();
            if (frame.opcode() == TEXT) {
                return frame.text();
            }
            if (frame.opcode() == CLOSE) {
                throw new EOFException("closed with " + frame.closeCode());
            }
        }
    }

    /** Reads (and discards) frames until the server's close frame; returns its code. */
    public int readUntilClose() throws IOException {
        while (true) {
            Frame frame;
            try {
                frame = read();
            } catch (EOFException e) {
                return 1006;
            }
            if (frame.opcode() == CLOSE) {
                return frame.closeCode();
            }
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    private static final class CountingInputStream extends FilterInputStream {
        private volatile long count;

        CountingInputStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = super.read(buffer, offset, length);
            if (n > 0) {
                count += n;
            }
            return n;
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b == -1) {
                throw new EOFException("connection closed during the handshake");
            }
            head.write(b);
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }
}
