package dev.duplex.it;

import static dev.duplex.support.ChatTestClient.chatUri;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.duplex.support.ChatTestClient;
import dev.duplex.support.RawWebSocket;
import jakarta.json.JsonObject;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * PROTOCOL.md "Slow consumers" against the deployed WAR: a reader that stops reading while its
 * room is busy is closed with 4003, with a close frame it receives once it reads again, and the
 * server never holds more for it than {@code DUPLEX_SEND_BUFFER_BYTES} on top of what the kernel's
 * socket buffers absorb. Every server runs with the default send buffer of
 * {@value #SEND_BUFFER_BYTES} bytes (a smaller one would make the contract's floods of 20 senders
 * too much for some readers) and, from arquillian.xml, a send timeout ({@value #SEND_TIMEOUT_SECONDS} s) long
 * enough for the stalled reader to resume after the room went quiet: a peer that has not taken its
 * close frame within the send timeout of the verdict is cut off without one.
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
class SlowConsumerIT {

    /** The default {@code duplex.send.buffer.bytes}. */
    static final int SEND_BUFFER_BYTES = 1_048_576;
    /** {@code duplex.send.timeout.seconds} in arquillian.xml. */
    static final int SEND_TIMEOUT_SECONDS = 120;
    /** What the stalled client asks the kernel for as its receive buffer. */
    static final int RECEIVE_BUFFER_BYTES = 16_384;
    static final int PUBLISHERS = 4;
    /** The default {@code duplex.max.text.chars}: every message is as big as the server allows. */
    static final int TEXT_CHARS = 4000;
    static final long TOTAL_BYTES = 25_000_000;
    /**
     * Rounds a publisher may run ahead of what it has seen of the room. Each publisher sends its
     * n-th message only once it has seen {@code PUBLISHERS * (n - WINDOW)} messages, so no reading
     * client ever has more than {@code 4 * PUBLISHERS * WINDOW + PUBLISHERS} messages (about
     * 150 kB) waiting: the publishers are never too slow themselves.
     */
    static final int WINDOW = 2;
    /**
     * What may arrive beyond the buffers: the one frame (at most 64 KiB) that may be handed over
     * when the count crosses the bound, and the WebSocket frame headers (counted here, not by the
     * server) of the roughly 1 100 frames that fit in the bound, at most 4 bytes each.
     */
    static final long SLACK_BYTES = 64 * 1024 + 8 * 1024;

    @ArquillianResource
    private URL deployment;

    @Deployment(testable = false)
    static WebArchive war() {
        return PackagedWar.named("duplex.war");
    }

    private URI wsBase() {
        return PackagedWar.loopback(deployment, "ws");
    }

    // PROTOCOL.md "Slow consumers" and "Close codes" 4003.
    @Test
    @Timeout(value = 240, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aReaderThatStopsIsClosedWith4003AndGetsNoMoreThanTheBuffersHold() throws Exception {
        String room = "slow-" + UUID.randomUUID().toString().substring(0, 8);
        long started = System.nanoTime();
        try (RawWebSocket stalled = RawWebSocket.connect(chatUri(wsBase(), "stalled", room), null, Map.of(),
                RECEIVE_BUFFER_BYTES, "chat")) {
            assertTrue(stalled.readText().contains("\"welcome\""), "the stalled reader is in the room");
            // From here it reads nothing until the room is quiet.
            int perPublisher = (int) (TOTAL_BYTES / PUBLISHERS / TEXT_CHARS) + 1;
            publish(room, perPublisher);
            long published = System.nanoTime();

            stalled.setReadTimeout(Duration.ofSeconds(30));
            Ending ending = readToTheEnd(stalled);
            long ended = System.nanoTime();
            long bound = SEND_BUFFER_BYTES + kernelSendBufferMax() + ownReceiveBuffer(stalled) + SLACK_BYTES;
            System.out.printf("SlowConsumerIT: %s; received %d bytes (bound %d); published %d x %d chars in %.1f s,"
                            + " end %.1f s after resuming%n", ending, stalled.bytesReceived(), bound,
                    PUBLISHERS * perPublisher, TEXT_CHARS, (published - started) / 1e9, (ended - published) / 1e9);
            assertEquals(4003, ending.code(), "a close frame saying too slow, not an abnormal end: " + ending
                    + " (the room was quiet after " + (published - started) / 1_000_000_000 + " s; a peer that has"
                    + " not read its close frame " + SEND_TIMEOUT_SECONDS + " s after the verdict is cut off)");
            assertTrue(stalled.bytesReceived() <= bound, "received " + stalled.bytesReceived()
                    + " bytes; at most " + bound + " may wait for one session (send buffer " + SEND_BUFFER_BYTES
                    + ", kernel send buffer " + kernelSendBufferMax() + ", own receive buffer "
                    + ownReceiveBuffer(stalled) + ", slack " + SLACK_BYTES + ")");
        }
    }

    /**
     * Four publishers post {@code perPublisher} messages each and return once every one of them
     * has seen every message of the room.
     */
    private void publish(String room, int perPublisher) throws Exception {
        int total = PUBLISHERS * perPublisher;
        AtomicIntegerArray seen = new AtomicIntegerArray(PUBLISHERS);
        List<ChatTestClient> clients = new ArrayList<>();
        ExecutorService threads = Executors.newFixedThreadPool(PUBLISHERS);
        try {
            for (int p = 0; p < PUBLISHERS; p++) {
                clients.add(ChatTestClient.join(wsBase(), "publisher" + p, room, "chat"));
            }
            List<Future<?>> running = new ArrayList<>();
            for (int p = 0; p < PUBLISHERS; p++) {
                int publisher = p;
                ChatTestClient client = clients.get(p);
                running.add(threads.submit(() -> {
                    for (int n = 0; n < perPublisher; n++) {
                        while (seen.get(publisher) < PUBLISHERS * (n - WINDOW)) {
                            take(client, seen, publisher);
                        }
                        String prefix = "p" + publisher + "-" + n + "-";
                        client.say(prefix + "x".repeat(TEXT_CHARS - prefix.length()));
                    }
                    while (seen.get(publisher) < total) {
                        take(client, seen, publisher);
                    }
                    return null;
                }));
            }
            for (Future<?> publisher : running) {
                publisher.get(180, TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
            clients.forEach(ChatTestClient::close);
        }
    }

    /** Takes the publisher's next frame (within the client's timeout); it must be a room message. */
    private static void take(ChatTestClient client, AtomicIntegerArray seen, int publisher) {
        JsonObject frame = client.expect("message");
        assertEquals(TEXT_CHARS, frame.getString("text").length());
        seen.incrementAndGet(publisher);
    }

    /** How the stalled reader's connection ended once it read again. */
    record Ending(int code, String how) {
        @Override
        public String toString() {
            return how + " (" + code + ")";
        }
    }

    /** Reads until the connection ends, answering pings. */
    private static Ending readToTheEnd(RawWebSocket socket) throws IOException {
        while (true) {
            RawWebSocket.Frame frame;
            try {
                frame = socket.read();
            } catch (EOFException e) {
                return new Ending(1006, "connection ended without a close frame");
            } catch (SocketTimeoutException e) {
                return new Ending(1006, "nothing more arrived and the connection stayed open");
            } catch (SocketException e) {
                return new Ending(1006, "connection reset without a close frame: " + e.getMessage());
            }
            if (frame.opcode() == RawWebSocket.CLOSE) {
                return new Ending(frame.closeCode(), "close frame");
            }
            if (frame.opcode() == RawWebSocket.PING) {
                // Reading again, it behaves as every client must (browsers do it unasked).
                try {
                    socket.send(RawWebSocket.PONG, frame.payload());
                } catch (IOException e) {
                    return new Ending(1006, "connection reset while answering a ping: " + e.getMessage());
                }
            }
        }
    }

    /**
     * What the stalled client's kernel may hold for it. Linux doubles the size asked for (room for
     * its bookkeeping), and the JDK reports half of what the kernel holds, so this is twice the
     * reported size.
     */
    private static long ownReceiveBuffer(RawWebSocket socket) throws IOException {
        return 2L * socket.receiveBufferSize();
    }

    /**
     * The most a TCP socket's send buffer grows to (Linux autotuning, the third value of
     * tcp_wmem). The server runs on this machine: the ITs dial loopback.
     */
    private static long kernelSendBufferMax() throws IOException {
        Path wmem = Path.of("/proc/sys/net/ipv4/tcp_wmem");
        if (!Files.isReadable(wmem)) {
            return 4L << 20; // Linux's default maximum
        }
        // Read line by line: /proc files report a size of 0, which whole-file reads may trust.
        String[] values;
        try (var reader = Files.newBufferedReader(wmem)) {
            values = reader.readLine().trim().split("\\s+");
        }
        return Long.parseLong(values[2]);
    }
}
