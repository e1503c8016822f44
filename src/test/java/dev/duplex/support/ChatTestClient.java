package dev.duplex.support;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import java.io.StringReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A WebSocket chat client for tests, on the JDK's own client so that it shares no code with any
 * server under test. Every wait is bounded; nothing sleeps.
 */
public final class ChatTestClient implements AutoCloseable {

    /** How long any single expectation may wait. */
    public static final Duration TIMEOUT = Duration.ofSeconds(10);

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

    private final WebSocket socket;
    private final LinkedBlockingQueue<JsonObject> frames;
    private final CompletableFuture<Closed> closed;

    private ChatTestClient(WebSocket socket, Recorder recorder) {
        this.socket = socket;
        this.frames = recorder.frames;
        this.closed = recorder.closed;
    }

    /** The close code and reason the server sent. */
    public record Closed(int code, String reason) {
    }

    /** Builds {@code <base>chat?name=..&room=..}; null values are left out. */
    public static URI chatUri(URI wsBase, String name, String room) {
        return chatUri(wsBase, name, room, null);
    }

    /** Builds {@code <base>chat?name=..&room=..&since=..}; null values are left out. */
    public static URI chatUri(URI wsBase, String name, String room, String since) {
        StringBuilder query = new StringBuilder();
        appendParameter(query, "name", name);
        appendParameter(query, "room", room);
        appendParameter(query, "since", since);
        return wsBase.resolve("chat" + (query.length() > 0 ? "?" + query : ""));
    }

    private static void appendParameter(StringBuilder query, String key, String value) {
        if (value != null) {
            query.append(query.length() > 0 ? "&" : "").append(key).append('=').append(encode(value));
        }
    }

    public static ChatTestClient connect(URI uri, String... protocols) {
        return connect(uri, Map.of(), protocols);
    }

    public static ChatTestClient connect(URI uri, Map<String, String> headers, String... protocols) {
        Recorder recorder = new Recorder();
        WebSocket socket;
        try {
            socket = join(builder(headers, protocols).buildAsync(uri, recorder));
        } catch (AssertionError failed) {
            if (!isRecycledRequestRedirect(failed)) {
                throw failed;
            }
            // Grizzly (Payara, GlassFish) now and then answers a handshake with a redirect meant for
            // a request it recycled (an NPE on a null method in its log; eclipse-ee4j/glassfish-grizzly
            // #2240). Nothing of Duplex ran for that request: dial once more.
            recorder = new Recorder();
            socket = join(builder(headers, protocols).buildAsync(uri, recorder));
        }
        return new ChatTestClient(socket, recorder);
    }

    /** A handshake answered with HTTP 301, which Duplex never sends for /chat. */
    private static boolean isRecycledRequestRedirect(AssertionError failed) {
        return failed.getCause() instanceof java.net.http.WebSocketHandshakeException handshake
                && handshake.getResponse() != null && handshake.getResponse().statusCode() == 301;
    }

    /**
     * Connects to the room and consumes the welcome frame (and, for {@code superchat}, the
     * {@code joined} frame and any history replayed after it).
     */
    public static ChatTestClient join(URI wsBase, String name, String room, String protocol) {
        ChatTestClient client = connect(chatUri(wsBase, name, room), protocol);
        client.expect("welcome");
        if ("superchat".equals(protocol)) {
            client.expect("joined");
        }
        return client;
    }

    /** Attempts a handshake that must fail; returns the HTTP status the server answered with. */
    public static int refusedHandshakeStatus(URI uri, Map<String, String> headers, String... protocols) {
        try {
            WebSocket socket = builder(headers, protocols).buildAsync(uri, new Recorder())
                    .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            socket.abort();
            throw new AssertionError("handshake to " + uri + " was accepted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof WebSocketHandshakeException refused) {
                return refused.getResponse().statusCode();
            }
            throw new AssertionError("handshake failed without an HTTP answer", e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError("handshake did not finish in time", e);
        }
    }

    /** The sub-protocol the server agreed to, or "" when none. */
    public String protocol() {
        return socket.getSubprotocol();
    }

    public void send(String text) {
        join(socket.sendText(text, true));
    }

    public void sendBinary(byte[] data) {
        join(socket.sendBinary(ByteBuffer.wrap(data), true));
    }

    /** Sends {@code {"type":"message","text":...}}. */
    public void say(String text) {
        send(Json.createObjectBuilder().add("type", "message").add("text", text).build().toString());
    }

    /** The next frame, whatever it is. */
    public JsonObject next() {
        try {
            JsonObject frame = frames.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            if (frame == null) {
                throw new AssertionError("no frame within " + TIMEOUT
                        + (closed.isDone() ? "; closed with " + closed.join() : ""));
            }
            return frame;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** The next frame, which must be of this type. */
    public JsonObject expect(String type) {
        JsonObject frame = next();
        if (!type.equals(frame.getString("type", null))) {
            throw new AssertionError("expected a " + type + " frame but got " + frame);
        }
        return frame;
    }

    /**
     * The next frame of {@code type}, passing over frames of the {@code ignored} types (acks in a
     * busy room, say); any other type fails.
     */
    public JsonObject expectIgnoring(String type, String... ignored) {
        java.util.Set<String> skippable = java.util.Set.of(ignored);
        while (true) {
            JsonObject frame = next();
            String actual = frame.getString("type", null);
            if (type.equals(actual)) {
                return frame;
            }
            if (!skippable.contains(actual)) {
                throw new AssertionError("expected a " + type + " frame but got " + frame);
            }
        }
    }

    /** Sends a JSON object built from alternating keys and values; {@code null} values are left out. */
    public void sendFrame(String type, Object... keysAndValues) {
        jakarta.json.JsonObjectBuilder frame = Json.createObjectBuilder().add("type", type);
        for (int i = 0; i < keysAndValues.length; i += 2) {
            Object value = keysAndValues[i + 1];
            if (value instanceof Integer number) {
                frame.add((String) keysAndValues[i], number);
            } else if (value != null) {
                frame.add((String) keysAndValues[i], value.toString());
            }
        }
        send(frame.build().toString());
    }

    /** Drops the TCP connection without a close frame, as a lost network would. */
    public void drop() {
        socket.abort();
    }

    /** The next frame, which must be an error with this code. */
    public JsonObject expectError(String code) {
        JsonObject error = expect("error");
        if (!code.equals(error.getString("code")) || error.getString("message", "").isBlank()) {
            throw new AssertionError("expected error " + code + " with a message but got " + error);
        }
        return error;
    }

    /** Waits for the server to close the connection; returns its code and reason. */
    public Closed awaitClose() {
        try {
            return closed.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new AssertionError("server did not close within " + TIMEOUT + "; frames: " + frames, e);
        }
    }

    /** Frames received and not yet taken. */
    public int pending() {
        return frames.size();
    }

    @Override
    public void close() {
        if (!socket.isOutputClosed()) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").orTimeout(TIMEOUT.toSeconds(), TimeUnit.SECONDS)
                    .exceptionally(e -> null).join();
        }
        socket.abort();
    }

    private static WebSocket.Builder builder(Map<String, String> headers, String... protocols) {
        WebSocket.Builder builder = HTTP.newWebSocketBuilder().connectTimeout(TIMEOUT);
        headers.forEach(builder::header);
        if (protocols.length > 0) {
            String[] rest = new String[protocols.length - 1];
            System.arraycopy(protocols, 1, rest, 0, rest.length);
            builder.subprotocols(protocols[0], rest);
        }
        return builder;
    }

    private static <T> T join(CompletableFuture<T> future) {
        try {
            return future.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException | CompletionException e) {
            throw new AssertionError("WebSocket operation failed", e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError("WebSocket operation did not finish in time", e);
        }
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** Collects whole text frames (the JDK may deliver one in parts) and the close. */
    private static final class Recorder implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();
        private final LinkedBlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
        private final CompletableFuture<Closed> closed = new CompletableFuture<>();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                try (JsonReader reader = Json.createReader(new StringReader(text))) {
                    frames.add(reader.readObject());
                }
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            closed.completeExceptionally(new AssertionError("the server sent a binary frame"));
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(new Closed(statusCode, reason));
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.completeExceptionally(error);
        }
    }
}
