import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Duplex soak client (JDK only): run by scripts/soak against a running server, never by mvn.
 *
 * <pre>java scripts/Soak.java --url ws://127.0.0.1:12080/ [--clients 1000] [--duration 120] [--seed 42]
 *     [--second-room-percent 33]</pre>
 *
 * Client kinds: well-behaved superchat (acked messages, random drops, resume with since, some in a
 * second room joined with since), well-behaved chat (random drops, no resume), slow readers (read
 * one frame every 2 s; expected to be closed with 4003) and flooders (send as fast as they can;
 * expected rate-limited errors and 4029). See docs/RELIABILITY.md for what "lost" means.
 */
public final class Soak {

    enum Kind { SUPER, CHAT, SLOW, FLOOD }

    static final AtomicInteger open = new AtomicInteger();
    static final AtomicInteger peakOpen = new AtomicInteger();
    static final AtomicLong opened = new AtomicLong();
    static final AtomicLong connectFailures = new AtomicLong();
    static final AtomicLong sentWellBehaved = new AtomicLong();
    static final AtomicLong framesReceived = new AtomicLong();
    static final AtomicLong floodSent = new AtomicLong();
    static final AtomicLong rateLimitedErrors = new AtomicLong();
    static final AtomicLong historyGaps = new AtomicLong();
    static final AtomicLong drops = new AtomicLong();
    static final Map<String, AtomicLong> closesByKind = new ConcurrentHashMap<>();
    static final Map<String, AtomicLong> errorsToWellBehaved = new ConcurrentHashMap<>();
    /** Acked message id -> room, from well-behaved superchat senders. */
    static final Map<String, String> acked = new ConcurrentHashMap<>();

    static HttpClient http;
    static ScheduledExecutorService timer;
    static URI base;
    static volatile boolean running = true;

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        base = URI.create(opts.getOrDefault("url", "ws://127.0.0.1:12080/"));
        int clients = Integer.parseInt(opts.getOrDefault("clients", "1000"));
        int duration = Integer.parseInt(opts.getOrDefault("duration", "120"));
        long seed = Long.parseLong(opts.getOrDefault("seed", "42"));
        // Percent of superchat clients that also join a second room (the set-up that found defect D4).
        int secondRoomPercent = Integer.parseInt(opts.getOrDefault("second-room-percent", "33"));
        Random random = new Random(seed);
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                .executor(Executors.newFixedThreadPool(4)).build();
        timer = Executors.newScheduledThreadPool(2);

        int flood = Math.max(1, clients / 50);
        int slow = Math.max(1, clients * 3 / 100);
        int chat = clients * 3 / 10;
        int superchat = clients - flood - slow - chat;
        int normalRooms = Math.max(1, clients / 25);
        int hotRooms = Math.max(1, clients / 250);
        List<Client> all = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            Kind kind = i < flood ? Kind.FLOOD : i < flood + slow ? Kind.SLOW
                    : i < flood + slow + chat ? Kind.CHAT : Kind.SUPER;
            boolean hot = kind == Kind.FLOOD || kind == Kind.SLOW || random.nextInt(10) == 0;
            String room = hot ? "h" + random.nextInt(hotRooms) : "n" + random.nextInt(normalRooms);
            String second = kind == Kind.SUPER && random.nextInt(100) < secondRoomPercent ? "n" + random.nextInt(normalRooms) : null;
            if (room.equals(second)) {
                second = null;
            }
            all.add(new Client(kind, kind.name().toLowerCase() + i, room, second, new Random(seed * 31 + i)));
        }
        System.out.printf("soak: %d clients (superchat %d, chat %d, slow readers %d, flooders %d), %d normal + %d hot rooms, %d%% of superchat in a second room, %d s, seed %d, %s%n",
                clients, superchat, chat, slow, flood, normalRooms, hotRooms, secondRoomPercent, duration, seed, base);
        long start = System.nanoTime();
        // Ramp up over about 10 s so the handshakes do not all land at once.
        Collections.shuffle(all, random);
        for (int i = 0; i < all.size(); i++) {
            Client c = all.get(i);
            timer.schedule(c::connect, i * 10_000L / all.size(), TimeUnit.MILLISECONDS);
        }
        long end = start + TimeUnit.SECONDS.toNanos(duration);
        while (System.nanoTime() < end) {
            Thread.sleep(10_000);
            System.out.printf("  t=%3ds open=%d acked=%d frames=%d floodSent=%d rateLimited=%d closes=%s%n",
                    (System.nanoTime() - start) / 1_000_000_000L, open.get(), acked.size(), framesReceived.get(),
                    floodSent.get(), rateLimitedErrors.get(), closesByKind);
        }
        // Stop sending and dropping, let reconnects finish and deliveries drain, then judge.
        running = false;
        System.out.println("  quiet period: no new sends or drops for 10 s");
        Thread.sleep(10_000);
        int heldAtEnd = open.get();
        Result result = check(all);
        System.out.println("RESULT connections: opened=" + opened.get() + " peak held=" + peakOpen.get()
                + " held at end=" + heldAtEnd + " connect failures=" + connectFailures.get()
                + " random drops=" + drops.get());
        System.out.println("RESULT messages: sent by well-behaved superchat=" + sentWellBehaved.get()
                + " acked=" + acked.size() + " frames received (all clients)=" + framesReceived.get());
        System.out.println("RESULT delivery checks: receiver-windows=" + result.windows + " expected deliveries="
                + result.expected + " lost=" + result.lost + " duplicated=" + result.duplicated
                + " out-of-order=" + result.outOfOrder + " history-gap errors=" + historyGaps.get());
        System.out.println("RESULT slow readers: closes " + closesOf("SLOW"));
        System.out.println("RESULT flooders: sent=" + floodSent.get() + " rate-limited errors=" + rateLimitedErrors.get()
                + " closes " + closesOf("FLOOD"));
        System.out.println("RESULT well-behaved closed by the server: superchat " + closesOf("SUPER")
                + " chat " + closesOf("CHAT") + "; error frames to well-behaved: " + errorsToWellBehaved);
        if (!result.examples.isEmpty()) {
            System.out.println("RESULT first problems: " + result.examples);
        }
        for (Client c : all) {
            c.closeQuietly();
        }
        timer.shutdownNow();
        System.exit(result.lost == 0 && result.duplicated == 0 && result.outOfOrder == 0 ? 0 : 1);
    }

    static Map<String, Long> closesOf(String kind) {
        Map<String, Long> out = new TreeMap<>();
        closesByKind.forEach((k, v) -> {
            if (k.startsWith(kind + ":")) {
                out.put(k.substring(kind.length() + 1), v.get());
            }
        });
        return out;
    }

    record Result(long windows, long expected, long lost, long duplicated, long outOfOrder, List<String> examples) {
    }

    /**
     * For every receiver window (a well-behaved client's continuous view of one room: across
     * resumes for superchat, one connection for chat), every acked id of that room between the
     * window's first and last id (or after its first, when the window is still open) must be in it
     * exactly once, in increasing order.
     */
    static Result check(List<Client> all) {
        Map<String, List<String>> ackedByRoom = new HashMap<>();
        acked.forEach((id, room) -> ackedByRoom.computeIfAbsent(room, r -> new ArrayList<>()).add(id));
        ackedByRoom.values().forEach(Collections::sort);
        long windows = 0, expected = 0, lost = 0, dup = 0, ooo = 0;
        List<String> examples = new ArrayList<>();
        for (Client c : all) {
            if (c.kind != Kind.SUPER && c.kind != Kind.CHAT) {
                continue;
            }
            synchronized (c) {
                for (Window w : c.windows) {
                    if (w.ids.isEmpty()) {
                        continue;
                    }
                    windows++;
                    String first = w.ids.get(0);
                    String last = w.ids.get(w.ids.size() - 1);
                    Set<String> seen = new java.util.HashSet<>();
                    String previous = "";
                    for (String id : w.ids) {
                        if (!seen.add(id)) {
                            dup++;
                            if (examples.size() < 5) examples.add(c.name + "@" + w.room + " duplicate " + id);
                        } else if (id.compareTo(previous) <= 0) {
                            ooo++;
                            if (examples.size() < 5) examples.add(c.name + "@" + w.room + " out of order " + id);
                        }
                        previous = id;
                    }
                    for (String id : ackedByRoom.getOrDefault(w.room, List.of())) {
                        boolean inside = id.compareTo(first) >= 0 && (w.open || id.compareTo(last) <= 0);
                        if (inside) {
                            expected++;
                            if (!seen.contains(id)) {
                                lost++;
                                if (examples.size() < 5) examples.add(c.name + "@" + w.room + " missing " + id
                                        + " (window " + first + ".." + last + (w.open ? "+" : "") + ")");
                            }
                        }
                    }
                }
            }
        }
        return new Result(windows, expected, lost, dup, ooo, examples);
    }

    /** A continuous view of one room. */
    static final class Window {
        final String room;
        final List<String> ids = new ArrayList<>();
        boolean open = true;

        Window(String room) {
            this.room = room;
        }
    }

    static final class Client implements WebSocket.Listener {
        final Kind kind;
        final String name;
        final String room;
        final String second;
        final Random random;
        final List<Window> windows = new ArrayList<>();
        final Map<String, Window> current = new HashMap<>();
        final Map<String, String> lastId = new HashMap<>();
        /** Rooms this connection has been told it joined. */
        final Set<String> joinedNow = new java.util.HashSet<>();
        final Map<WebSocket, StringBuilder> partials = new java.util.concurrent.ConcurrentHashMap<>();
        WebSocket socket;
        int seq;
        boolean connected;
        long generation;

        Client(Kind kind, String name, String room, String second, Random random) {
            this.kind = kind;
            this.name = name;
            this.room = room;
            this.second = second;
            this.random = random;
        }

        void connect() {
            String since;
            long gen;
            synchronized (this) {
                since = kind == Kind.SUPER ? lastId.get(room) : null;
                gen = ++generation;
            }
            String query = "chat?name=" + name + "&room=" + room
                    + (since != null ? "&since=" + URLEncoder.encode(since, StandardCharsets.UTF_8) : "");
            String protocol = kind == Kind.CHAT || (kind == Kind.FLOOD && name.hashCode() % 2 == 0) ? "chat" : "superchat";
            http.newWebSocketBuilder().subprotocols(protocol).connectTimeout(Duration.ofSeconds(10))
                    .buildAsync(base.resolve(query), this)
                    .whenComplete((ws, error) -> {
                        if (error != null) {
                            connectFailures.incrementAndGet();
                            retry(2000);
                            return;
                        }
                        synchronized (this) {
                            if (gen != generation) {
                                // superseded while connecting; onOpen may already have made it current
                                if (socket == ws) {
                                    socket = null;
                                    connected = false;
                                }
                                ws.abort();
                                return;
                            }
                        }
                        opened.incrementAndGet();
                        peakOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
                        startBehaviour(ws, gen);
                    });
        }

        void retry(long delayMillis) {
            if (running || kind == Kind.SUPER) {
                timer.schedule(this::connect, delayMillis, TimeUnit.MILLISECONDS);
            }
        }

        void startBehaviour(WebSocket ws, long gen) {
            switch (kind) {
                case SUPER -> scheduleSend(ws, gen, 500 + random.nextInt(3000));
                case CHAT -> scheduleSend(ws, gen, 1000 + random.nextInt(8000));
                case FLOOD -> flood(ws, gen);
                case SLOW -> { }
            }
            if ((kind == Kind.SUPER || kind == Kind.CHAT) && running) {
                // On average one drop per client every 60 s.
                long after = (long) (-Math.log(1 - random.nextDouble()) * 60_000);
                timer.schedule(() -> drop(ws, gen), after, TimeUnit.MILLISECONDS);
            }
        }

        void scheduleSend(WebSocket ws, long gen, long delay) {
            timer.schedule(() -> {
                if (!running) {
                    return;
                }
                String frame;
                synchronized (this) {
                    if (gen != generation || !connected) {
                        return;
                    }
                    seq++;
                    String target = kind == Kind.SUPER && second != null && joinedNow.contains(second)
                            && random.nextBoolean() ? second : room;
                    if (kind == Kind.SUPER) {
                        refRooms.put(name + "-" + seq, target);
                    }
                    frame = kind == Kind.SUPER
                            ? "{\"type\":\"message\",\"room\":\"" + target + "\",\"text\":\"" + name + " #" + seq
                                    + "\",\"ref\":\"" + name + "-" + seq + "\"}"
                            : "{\"type\":\"message\",\"text\":\"" + name + " #" + seq + "\"}";
                }
                try {
                    ws.sendText(frame, true).whenComplete((w, e) -> {
                        if (e == null && kind == Kind.SUPER) {
                            sentWellBehaved.incrementAndGet();
                        }
                    });
                } catch (RuntimeException e) {
                    // an earlier send still pending or the socket is gone: skip this one
                }
                scheduleSend(ws, gen, kind == Kind.SUPER ? 1500 + random.nextInt(3000) : 4000 + random.nextInt(8000));
            }, delay, TimeUnit.MILLISECONDS);
        }

        void flood(WebSocket ws, long gen) {
            String text = "{\"type\":\"message\",\"text\":\"" + "f".repeat(200) + "\"}";
            sendFlood(ws, gen, text, 0);
        }

        void sendFlood(WebSocket ws, long gen, String text, int count) {
            synchronized (this) {
                if (gen != generation || !connected || !running) {
                    return;
                }
            }
            ws.sendText(text, true).whenComplete((w, e) -> {
                if (e == null) {
                    floodSent.incrementAndGet();
                    if (count % 100 == 99) {
                        timer.execute(() -> sendFlood(ws, gen, text, count + 1)); // keep stacks short
                    } else {
                        sendFlood(ws, gen, text, count + 1);
                    }
                }
            });
        }

        void drop(WebSocket ws, long gen) {
            synchronized (this) {
                if (!running || gen != generation || !connected) {
                    return;
                }
                connected = false;
                if (kind == Kind.CHAT) {
                    closeWindows();
                }
            }
            drops.incrementAndGet();
            open.decrementAndGet();
            ws.abort();
            retry(100 + random.nextInt(1500));
        }

        @Override
        public void onOpen(WebSocket webSocket) {
            // The connection becomes current here, before its first frame: welcome, joined and the
            // since-replay can arrive before buildAsync's future completes, and frames of a socket
            // that is not current are dropped as late frames of an old connection.
            synchronized (this) {
                socket = webSocket;
                connected = true;
                joinedNow.clear();
            }
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            // One buffer per connection: a frame cut by a drop must not be glued to the next
            // connection's frames (an earlier single buffer did that and garbled frames).
            StringBuilder partial = partials.computeIfAbsent(ws, k -> new StringBuilder());
            partial.append(data);
            if (last) {
                String text = partial.toString();
                partials.remove(ws);
                framesReceived.incrementAndGet();
                try {
                    handle(ws, Json.parseObject(text));
                } catch (RuntimeException e) {
                    System.out.println("client " + name + ": bad frame " + e + ": " + text);
                }
            }
            if (kind == Kind.SLOW) {
                timer.schedule(() -> ws.request(1), 2, TimeUnit.SECONDS);
            } else {
                ws.request(1);
            }
            return null;
        }

        synchronized void handle(WebSocket ws, Map<String, Object> frame) {
            if (ws != socket) {
                return; // a late frame of a dropped connection
            }
            String type = (String) frame.get("type");
            switch (type) {
                case "joined" -> {
                    String r = (String) frame.get("room");
                    joinedNow.add(r);
                    if (kind == Kind.SUPER) {
                        Window w = current.get(r);
                        boolean resumed = w != null && lastId.containsKey(r);
                        if (!resumed) {
                            if (w != null) {
                                w.open = false;
                            }
                            w = new Window(r);
                            windows.add(w);
                            current.put(r, w);
                        }
                        if (r.equals(room) && second != null) {
                            String since = lastId.get(second);
                            ws.sendText("{\"type\":\"join\",\"room\":\"" + second + "\""
                                    + (since != null && current.containsKey(second) ? ",\"since\":\"" + since + "\"" : "") + "}", true);
                        }
                    }
                }
                case "welcome" -> {
                    if (kind == Kind.CHAT) {
                        Window w = new Window(room);
                        windows.add(w);
                        current.put(room, w);
                    }
                }
                case "message" -> {
                    String r = (String) frame.get("room");
                    String id = (String) frame.get("id");
                    Window w = current.get(r);
                    if (w != null && (kind == Kind.SUPER || kind == Kind.CHAT)) {
                        w.ids.add(id);
                        lastId.put(r, id);
                    }
                }
                case "ack" -> {
                    if (kind == Kind.SUPER) {
                        String ref = (String) frame.get("ref");
                        String r = ref == null ? null : refRooms.remove(ref);
                        acked.put((String) frame.get("id"), r != null ? r : roomOfAck(frame));
                    }
                }
                case "error" -> {
                    String code = (String) frame.get("code");
                    if ("rate-limited".equals(code)) {
                        rateLimitedErrors.incrementAndGet();
                    } else if ("history-gap".equals(code)) {
                        historyGaps.incrementAndGet();
                    }
                    if (kind == Kind.SUPER || kind == Kind.CHAT) {
                        errorsToWellBehaved.computeIfAbsent(code, k -> new AtomicLong()).incrementAndGet();
                    }
                }
                default -> { }
            }
        }

        /** Refs are unique per client; the room of an acked message is its own message's room. */
        final Map<String, String> refRooms = new HashMap<>();

        String roomOfAck(Map<String, Object> ack) {
            // The sender receives its own message before the ack: find it among the last ids seen.
            String id = (String) ack.get("id");
            for (Map.Entry<String, String> e : lastId.entrySet()) {
                if (id.equals(e.getValue())) {
                    return e.getKey();
                }
            }
            for (Window w : windows) {
                if (w.ids.contains(id)) {
                    return w.room;
                }
            }
            return "?";
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            ended(ws, String.valueOf(statusCode));
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            ended(ws, "error:" + error.getClass().getSimpleName());
        }

        void ended(WebSocket ws, String how) {
            synchronized (this) {
                if (ws != socket || !connected) {
                    return; // our own drop, or already counted
                }
                connected = false;
                if (kind == Kind.CHAT) {
                    closeWindows();
                }
            }
            open.decrementAndGet();
            closesByKind.computeIfAbsent(kind + ":" + how, k -> new AtomicLong()).incrementAndGet();
            retry(kind == Kind.FLOOD || kind == Kind.SLOW ? 1000 : 200);
        }

        void closeWindows() {
            for (Window w : current.values()) {
                w.open = false;
            }
            current.clear();
        }

        synchronized void closeQuietly() {
            if (socket != null) {
                socket.abort();
            }
        }
    }

    /** Just enough JSON for server frames. */
    static final class Json {
        private final String s;
        private int i;

        private Json(String s) {
            this.s = s;
        }

        @SuppressWarnings("unchecked")
        static Map<String, Object> parseObject(String text) {
            return (Map<String, Object>) new Json(text).value();
        }

        private Object value() {
            ws();
            char c = s.charAt(i);
            if (c == '{') {
                Map<String, Object> m = new LinkedHashMap<>();
                i++;
                ws();
                if (s.charAt(i) == '}') {
                    i++;
                    return m;
                }
                while (true) {
                    ws();
                    String k = string();
                    ws();
                    expect(':');
                    m.put(k, value());
                    ws();
                    if (s.charAt(i) == ',') {
                        i++;
                    } else {
                        expect('}');
                        return m;
                    }
                }
            }
            if (c == '[') {
                List<Object> l = new ArrayList<>();
                i++;
                ws();
                if (s.charAt(i) == ']') {
                    i++;
                    return l;
                }
                while (true) {
                    l.add(value());
                    ws();
                    if (s.charAt(i) == ',') {
                        i++;
                    } else {
                        expect(']');
                        return l;
                    }
                }
            }
            if (c == '"') {
                return string();
            }
            int start = i;
            while (i < s.length() && ",}] \n\r\t".indexOf(s.charAt(i)) < 0) {
                i++;
            }
            String token = s.substring(start, i);
            return switch (token) {
                case "true" -> Boolean.TRUE;
                case "false" -> Boolean.FALSE;
                case "null" -> null;
                default -> Double.valueOf(token);
            };
        }

        private String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (true) {
                char c = s.charAt(i++);
                if (c == '"') {
                    return b.toString();
                }
                if (c == '\\') {
                    char e = s.charAt(i++);
                    switch (e) {
                        case 'n' -> b.append('\n');
                        case 't' -> b.append('\t');
                        case 'r' -> b.append('\r');
                        case 'b' -> b.append('\b');
                        case 'f' -> b.append('\f');
                        case 'u' -> {
                            b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                            i += 4;
                        }
                        default -> b.append(e);
                    }
                } else {
                    b.append(c);
                }
            }
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private void expect(char c) {
            if (s.charAt(i) != c) {
                throw new IllegalArgumentException("expected " + c + " at " + i);
            }
            i++;
        }
    }
}
