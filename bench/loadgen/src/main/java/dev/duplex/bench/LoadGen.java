package dev.duplex.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongUnaryOperator;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The Duplex benchmark load generator: a bounded, loopback-only WebSocket client written straight on
 * NIO (a minimal RFC 6455 client: handshake, masked text frames out, unmasked frames in), so that it
 * costs as little CPU as possible and its own CPU is measured and reported with every result.
 *
 * <p>Modes:
 * <ul>
 *   <li>{@code fanout}: N subscribers and M publishers in one room. Publishers send
 *       {@code {"type":"message","text":"~seq:pub:t~xxx"}} at a fixed total rate (t is the intended
 *       send time from {@link System#nanoTime()}, i.e. CLOCK_MONOTONIC, so a stalled publisher
 *       counts against latency) or as fast as a bounded in-flight window allows (rate 0). Every
 *       subscriber records each delivery's latency in an HdrHistogram and checks order and loss.
 *       Phases ({@code name:rate:warmupS:measureS}) run one after the other on the same
 *       connections; each prints one JSON line.</li>
 *   <li>{@code hold}: opens N idle connections and reports the server's RSS before and after.</li>
 *   <li>{@code wire}: the bytes of one chat message as WebSocket frames, and optionally of one HTTP
 *       polling round trip with ordinary browser headers.</li>
 * </ul>
 * Server CPU comes from {@code /proc/PID/stat} (utime + stime) over each measured window. {@code --pid}
 * takes one PID or a comma-separated list (the nodes of a cluster); CPU and RSS are then the sums.
 */
public final class LoadGen {

    static final long CLK_TCK = 100;
    static final int IN_BUFFER = 16 * 1024;

    // ---------------------------------------------------------------- options
    final Map<String, String> opts = new LinkedHashMap<>();
    String host;
    int port;
    String path;
    String protocol;
    long[] serverPids;
    int threads;
    int srcAddrs;
    int maxPending;

    // ---------------------------------------------------------------- shared state
    final AtomicInteger pending = new AtomicInteger();
    final AtomicInteger ready = new AtomicInteger();
    final AtomicInteger failed = new AtomicInteger();
    final Map<Integer, AtomicInteger> closes = new ConcurrentHashMap<>();
    final Recorder recorder = new Recorder(1, 600_000_000L, 3);
    /** Deliveries with seq in [recordFrom, recordTo) are recorded. */
    volatile long recordFrom = Long.MAX_VALUE;
    volatile long recordTo = Long.MAX_VALUE;
    int pubCount;
    Io[] ios;
    volatile String firstError;
    boolean wireMode;

    public static void main(String[] args) throws Exception {
        LoadGen gen = new LoadGen();
        gen.parse(args);
        String mode = gen.opt("mode", "fanout");
        gen.wireMode = mode.equals("wire");
        switch (mode) {
            case "fanout" -> gen.fanout();
            case "hold" -> gen.hold();
            case "wire" -> gen.wire();
            default -> throw new IllegalArgumentException("unknown mode " + mode);
        }
        System.exit(0);
    }

    void parse(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("bad argument " + a);
            }
            String k = a.substring(2);
            String v;
            int eq = k.indexOf('=');
            if (eq >= 0) {
                v = k.substring(eq + 1);
                k = k.substring(0, eq);
            } else {
                v = args[++i];
            }
            opts.put(k, v);
        }
        URI uri = URI.create(opt("url", "ws://127.0.0.1:9700/chat"));
        host = uri.getHost();
        if (!host.startsWith("127.")) {
            throw new IllegalArgumentException("loopback only: " + host);
        }
        port = uri.getPort();
        path = uri.getRawPath();
        protocol = opt("protocol", "chat");
        serverPids = java.util.Arrays.stream(opt("pid", "0").split(",")).mapToLong(Long::parseLong).toArray();
        threads = Integer.parseInt(opt("threads", "1"));
        srcAddrs = Integer.parseInt(opt("src-addrs", "4"));
        maxPending = Integer.parseInt(opt("max-pending", "200"));
    }

    String opt(String k, String def) {
        return opts.getOrDefault(k, def);
    }

    int intOpt(String k, int def) {
        return Integer.parseInt(opt(k, Integer.toString(def)));
    }

    // ================================================================ modes

    void fanout() throws Exception {
        int subs = intOpt("subs", 100);
        pubCount = intOpt("pubs", 1);
        int textSize = intOpt("text-size", 64);
        int window = intOpt("window", 64);
        long deadline = System.nanoTime() + Long.parseLong(opt("max-seconds", "600")) * 1_000_000_000L;
        startIos();
        List<Conn> pubs = new ArrayList<>();
        connectAll(subs, "s", false, null);
        for (int p = 0; p < pubCount; p++) {
            Conn c = new Conn(subs + p, true, p);
            pubs.add(c);
        }
        connectList(pubs, "p");
        awaitReady(subs + pubCount, deadline);
        int connected = ready.get();
        Publisher publisher = new Publisher(pubs, textSize);
        for (String spec : opt("phases", "run:50:5:10").split(",")) {
            String[] f = spec.split(":");
            String name = f[0];
            double rate = Double.parseDouble(f[1]);
            double warm = Double.parseDouble(f[2]);
            double measure = Double.parseDouble(f[3]);
            if (System.nanoTime() > deadline) {
                break;
            }
            runPhase(publisher, name, rate, warm, measure, subs, window, connected);
        }
        shutdown();
    }

    void runPhase(Publisher pub, String name, double rate, double warmS, double measureS, int subs,
                  int window, int connected) throws Exception {
        // warm-up: traffic, nothing recorded
        recordFrom = Long.MAX_VALUE;
        recordTo = Long.MAX_VALUE;
        pub.run(rate, (long) (warmS * 1e9), window, subs);
        drain(pub.seq, subs, 3_000_000_000L, false, 0);
        // measured window
        recorder.getIntervalHistogram();
        long fromSeq = pub.seq;
        recordFrom = fromSeq;
        // Counters are cumulative and written only by the I/O threads; a phase is a difference.
        long rec0 = 0;
        long ooo0 = 0;
        for (Io io : ios) {
            rec0 += io.recorded;
            ooo0 += io.outOfOrder;
        }
        long cpu0 = sumOver(serverPids, LoadGen::cpuTicks);
        long gcpu0 = cpuTicks(-1);
        long all0 = totalDelivered();
        long t0 = System.nanoTime();
        pub.run(rate, (long) (measureS * 1e9), window, subs);
        long tSendEnd = System.nanoTime();
        long allSendEnd = totalDelivered();
        long toSeq = pub.seq;
        recordTo = toSeq;
        long expected = (toSeq - fromSeq) * (long) subs;
        drain(toSeq, subs, 5_000_000_000L, true, rec0);
        long t1 = System.nanoTime();
        long cpu1 = sumOver(serverPids, LoadGen::cpuTicks);
        long gcpu1 = cpuTicks(-1);
        long all1 = totalDelivered();
        Histogram h = recorder.getIntervalHistogram();
        long recorded = -rec0;
        long ooo = -ooo0;
        for (Io io : ios) {
            recorded += io.recorded;
            ooo += io.outOfOrder;
        }
        double windowS = (t1 - t0) / 1e9;
        long deliveriesInWindow = all1 - all0;
        double serverCpuUs = (cpu1 - cpu0) * 1e6 / CLK_TCK;
        double genCpuUs = (gcpu1 - gcpu0) * 1e6 / CLK_TCK;
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("mode", "fanout");
        r.put("phase", name);
        r.put("subs", subs);
        r.put("pubs", pubCount);
        r.put("connected", connected);
        r.put("rate", rate);
        r.put("measureS", measureS);
        r.put("sent", toSeq - fromSeq);
        r.put("expected", expected);
        r.put("delivered", recorded);
        r.put("lost", expected - recorded);
        r.put("outOfOrder", ooo);
        r.put("deliveriesPerS", round((allSendEnd - all0) / ((tSendEnd - t0) / 1e9)));
        r.put("p50Us", h.getValueAtPercentile(50));
        r.put("p99Us", h.getValueAtPercentile(99));
        r.put("p999Us", h.getValueAtPercentile(99.9));
        r.put("maxUs", h.getMaxValue());
        r.put("meanUs", round(h.getMean()));
        r.put("windowS", round(windowS));
        r.put("serverCpuUs", round(serverCpuUs));
        r.put("serverCpuPct", round(serverCpuUs / 1e4 / windowS));
        r.put("serverCpuUsPerDelivery", deliveriesInWindow == 0 ? null : round(serverCpuUs / deliveriesInWindow));
        r.put("genCpuPct", round(genCpuUs / 1e4 / windowS));
        r.put("genCpuUsPerDelivery", deliveriesInWindow == 0 ? null : round(genCpuUs / deliveriesInWindow));
        r.put("closes", closesJson());
        r.put("connectFailures", failed.get());
        emit(r);
    }

    void drain(long toSeq, int subs, long timeoutNs, boolean untilExpected, long rec0) throws InterruptedException {
        long end = System.nanoTime() + timeoutNs;
        long last = -1;
        long stableSince = System.nanoTime();
        while (System.nanoTime() < end) {
            Thread.sleep(20);
            if (untilExpected) {
                long rec = -rec0;
                for (Io io : ios) {
                    rec += io.recorded;
                }
                if (rec >= (toSeq - recordFrom) * subs) {
                    return;
                }
            }
            long now = totalDelivered();
            if (now != last) {
                last = now;
                stableSince = System.nanoTime();
            } else if (System.nanoTime() - stableSince > 300_000_000L) {
                return; // nothing moved for 300 ms: drained (or lost)
            }
        }
    }

    void hold() throws Exception {
        int n = intOpt("conns", 1000);
        double settle = Double.parseDouble(opt("settle", "3"));
        long deadline = System.nanoTime() + Long.parseLong(opt("max-seconds", "300")) * 1_000_000_000L;
        long rss0 = sumOver(serverPids, LoadGen::rssKb);
        startIos();
        long t0 = System.nanoTime();
        connectAll(n, "h", false, null);
        awaitReady(n, deadline);
        long connectMs = (System.nanoTime() - t0) / 1_000_000;
        Thread.sleep((long) (settle * 1000));
        long rss1 = sumOver(serverPids, LoadGen::rssKb);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("mode", "hold");
        r.put("phase", "hold");
        r.put("conns", n);
        r.put("connected", ready.get());
        r.put("connectMs", connectMs);
        r.put("rssBeforeKb", rss0);
        r.put("rssAfterKb", rss1);
        r.put("rssPerConnBytes", ready.get() == 0 ? null : round((rss1 - rss0) * 1024.0 / ready.get()));
        r.put("closes", closesJson());
        r.put("connectFailures", failed.get());
        emit(r);
        shutdown();
    }

    /** Bytes of one chat message on the wire: WebSocket frames, and an HTTP polling round trip. */
    void wire() throws Exception {
        String text = opt("text", "Are we still on for lunch at noon?");
        long deadline = System.nanoTime() + 30_000_000_000L;
        pubCount = 1;
        startIos();
        Conn sub = new Conn(0, false, 0);
        Conn pubConn = new Conn(1, true, 0);
        connectList(List.of(sub), "s");
        connectList(List.of(pubConn), "p");
        awaitReady(2, deadline);
        Thread.sleep(200);
        byte[] payload = ("{\"type\":\"message\",\"text\":\"" + text + "\"}").getBytes(StandardCharsets.UTF_8);
        byte[] frame = maskedTextFrame(payload);
        sub.lastFrameLen = 0;
        writeFully(pubConn.ch, ByteBuffer.wrap(frame));
        while (sub.lastFrameLen == 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("mode", "wire");
        r.put("phase", "wire");
        r.put("handshakeRequestBytes", sub.handshakeOut);
        r.put("handshakeResponseBytes", sub.handshakeIn);
        r.put("clientFrameBytes", frame.length);
        r.put("clientPayloadBytes", payload.length);
        r.put("serverFrameBytes", sub.lastFrameLen);
        r.put("serverPayloadBytes", sub.lastPayloadLen);
        r.put("serverPayload", sub.lastPayload);
        String pollUrl = opt("poll-url", "");
        if (!pollUrl.isEmpty()) {
            pollRoundTrip(URI.create(pollUrl), r);
        }
        emit(r);
        shutdown();
    }

    /** One polling GET with the headers Chrome sends on a same-origin fetch(); no cookies. */
    void pollRoundTrip(URI uri, Map<String, Object> r) throws IOException {
        if (!uri.getHost().startsWith("127.")) {
            throw new IllegalArgumentException("loopback only");
        }
        String hostHeader = uri.getHost() + ":" + uri.getPort();
        String req = "GET " + uri.getRawPath() + "?" + uri.getRawQuery() + " HTTP/1.1\r\n"
                + "Host: " + hostHeader + "\r\n"
                + "Connection: keep-alive\r\n"
                + "sec-ch-ua-platform: \"Windows\"\r\n"
                + "User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\n"
                + "sec-ch-ua: \"Google Chrome\";v=\"131\", \"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\"\r\n"
                + "sec-ch-ua-mobile: ?0\r\n"
                + "Accept: */*\r\n"
                + "Sec-Fetch-Site: same-origin\r\n"
                + "Sec-Fetch-Mode: cors\r\n"
                + "Sec-Fetch-Dest: empty\r\n"
                + "Referer: http://" + hostHeader + "/\r\n"
                + "Accept-Encoding: gzip, deflate, br, zstd\r\n"
                + "Accept-Language: en-US,en;q=0.9\r\n"
                + "\r\n";
        byte[] reqBytes = req.getBytes(StandardCharsets.ISO_8859_1);
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5000);
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(reqBytes);
            out.flush();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[65536];
            int n = 0;
            int headerEnd = -1;
            int contentLength = -1;
            while (true) {
                int k = in.read(buf, n, buf.length - n);
                if (k < 0) {
                    break;
                }
                n += k;
                if (headerEnd < 0) {
                    headerEnd = indexOf(buf, n, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    if (headerEnd >= 0) {
                        String head = new String(buf, 0, headerEnd, StandardCharsets.ISO_8859_1);
                        for (String line : head.split("\r\n")) {
                            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                                contentLength = Integer.parseInt(line.substring(15).trim());
                            }
                        }
                        headerEnd += 4;
                    }
                }
                if (headerEnd >= 0 && contentLength >= 0 && n >= headerEnd + contentLength) {
                    break;
                }
            }
            r.put("pollRequestBytes", reqBytes.length);
            r.put("pollResponseBytes", n);
            r.put("pollResponseHeaderBytes", headerEnd);
            r.put("pollRequest", req);
            r.put("pollResponse", new String(buf, 0, n, StandardCharsets.UTF_8));
        }
    }

    // ================================================================ connections

    void startIos() throws IOException {
        ios = new Io[threads];
        for (int i = 0; i < threads; i++) {
            ios[i] = new Io(i);
            ios[i].start();
        }
    }

    void connectAll(int n, String prefix, boolean pub, Object unused) throws InterruptedException {
        List<Conn> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            list.add(new Conn(i, pub, 0));
        }
        connectList(list, prefix);
    }

    void connectList(List<Conn> list, String prefix) throws InterruptedException {
        for (Conn c : list) {
            while (pending.get() >= maxPending) {
                Thread.sleep(1);
            }
            pending.incrementAndGet();
            c.name = prefix + c.index;
            Io io = ios[c.index % ios.length];
            c.io = io;
            io.incoming.add(c);
            io.selector.wakeup();
        }
    }

    void awaitReady(int n, long deadline) throws InterruptedException {
        while (ready.get() + failed.get() < n && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        if (failed.get() > 0) {
            System.err.println("loadgen: " + failed.get() + " connections failed; first error: " + firstError);
        }
    }

    long totalDelivered() {
        long t = 0;
        for (Io io : ios) {
            t += io.delivered.get();
        }
        return t;
    }

    void shutdown() {
        for (Io io : ios) {
            io.running = false;
            io.selector.wakeup();
        }
        for (Io io : ios) {
            try {
                io.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    String closesJson() {
        StringBuilder sb = new StringBuilder("{");
        closes.forEach((k, v) -> {
            if (sb.length() > 1) {
                sb.append(',');
            }
            sb.append('"').append(k).append("\":").append(v.get());
        });
        return sb.append('}').toString();
    }

    final class Conn {
        final int index;
        final boolean publisher;
        final int pubIndex;
        String name;
        Io io;
        SocketChannel ch;
        int state; // 0 connecting, 1 upgrade sent, 2 open (awaiting welcome), 3 ready, 4 closed
        ByteBuffer in;
        ByteBuffer handshake;
        long[] lastSeq;
        int handshakeOut;
        int handshakeIn;
        volatile int lastFrameLen;
        int lastPayloadLen;
        String lastPayload;

        Conn(int index, boolean publisher, int pubIndex) {
            this.index = index;
            this.publisher = publisher;
            this.pubIndex = pubIndex;
        }
    }

    final class Io extends Thread {
        final Selector selector;
        final ConcurrentLinkedQueue<Conn> incoming = new ConcurrentLinkedQueue<>();
        final AtomicLong delivered = new AtomicLong();
        final List<Conn> conns = new ArrayList<>();
        volatile boolean running = true;
        volatile long recorded;
        volatile long outOfOrder;

        Io(int i) throws IOException {
            super("loadgen-io-" + i);
            setDaemon(true);
            selector = Selector.open();
        }

        @Override
        public void run() {
            try {
                loop();
            } catch (Throwable t) {
                t.printStackTrace();
            } finally {
                for (Conn c : conns) {
                    try {
                        if (c.ch != null) {
                            c.ch.close();
                        }
                    } catch (IOException ignored) {
                        // closing
                    }
                }
            }
        }

        void loop() throws IOException {
            while (running) {
                Conn c;
                while ((c = incoming.poll()) != null) {
                    open(c);
                }
                selector.select(100);
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey key = it.next();
                    it.remove();
                    Conn conn = (Conn) key.attachment();
                    try {
                        if (!key.isValid()) {
                            continue;
                        }
                        if (key.isConnectable()) {
                            conn.ch.finishConnect();
                            key.interestOps(SelectionKey.OP_WRITE);
                        } else if (key.isWritable()) {
                            conn.ch.write(conn.handshake);
                            if (!conn.handshake.hasRemaining()) {
                                conn.state = 1;
                                key.interestOps(SelectionKey.OP_READ);
                            }
                        } else if (key.isReadable()) {
                            read(conn, key);
                        }
                    } catch (IOException e) {
                        fail(conn, key, e);
                    }
                }
            }
        }

        void open(Conn c) {
            try {
                c.ch = SocketChannel.open();
                c.ch.configureBlocking(false);
                c.ch.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
                if (srcAddrs > 1) {
                    c.ch.bind(new InetSocketAddress("127.0.0." + (1 + c.index % srcAddrs), 0));
                }
                String req = "GET " + path + "?name=" + c.name + "&room=bench HTTP/1.1\r\n"
                        + "Host: " + host + ":" + port + "\r\n"
                        + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        + "Sec-WebSocket-Version: 13\r\n"
                        + (protocol.isEmpty() ? "" : "Sec-WebSocket-Protocol: " + protocol + "\r\n")
                        + "\r\n";
                c.handshake = ByteBuffer.wrap(req.getBytes(StandardCharsets.ISO_8859_1));
                c.handshakeOut = c.handshake.remaining();
                c.in = ByteBuffer.allocate(IN_BUFFER);
                c.lastSeq = new long[Math.max(1, pubCount)];
                java.util.Arrays.fill(c.lastSeq, -1);
                conns.add(c);
                if (c.ch.connect(new InetSocketAddress(host, port))) {
                    c.ch.register(selector, SelectionKey.OP_WRITE, c);
                } else {
                    c.ch.register(selector, SelectionKey.OP_CONNECT, c);
                }
            } catch (IOException e) {
                fail(c, null, e);
            }
        }

        void fail(Conn c, SelectionKey key, IOException e) {
            if (c.state < 3) {
                failed.incrementAndGet();
                pending.decrementAndGet();
                if (firstError == null) {
                    firstError = e.toString();
                }
            } else if (c.state == 3) {
                closes.computeIfAbsent(-1, k -> new AtomicInteger()).incrementAndGet();
            }
            c.state = 4;
            if (key != null) {
                key.cancel();
            }
            try {
                c.ch.close();
            } catch (IOException ignored) {
                // closing
            }
        }

        void read(Conn c, SelectionKey key) throws IOException {
            ByteBuffer b = c.in;
            int n = c.ch.read(b);
            if (n < 0) {
                if (c.state < 3) {
                    fail(c, key, new IOException("closed by server during handshake"));
                } else {
                    if (c.state == 3) {
                        closes.computeIfAbsent(-1, k -> new AtomicInteger()).incrementAndGet();
                    }
                    c.state = 4;
                    key.cancel();
                    c.ch.close();
                }
                return;
            }
            long now = System.nanoTime();
            b.flip();
            if (c.state == 1) {
                int end = indexOf(b.array(), b.limit(), CRLFCRLF);
                if (end < 0) {
                    b.position(b.limit());
                    growIfFull(c);
                    return;
                }
                String head = new String(b.array(), 0, end, StandardCharsets.ISO_8859_1);
                if (!head.startsWith("HTTP/1.1 101")) {
                    fail(c, key, new IOException("upgrade refused: " + head.lines().findFirst().orElse("")));
                    return;
                }
                c.handshakeIn = end + 4;
                b.position(end + 4);
                c.state = 2;
            }
            long delivered0 = 0;
            long rec = 0;
            long ooo = 0;
            while (b.remaining() >= 2) {
                int start = b.position();
                int b0 = b.get(start) & 0xff;
                int b1 = b.get(start + 1) & 0xff;
                int hdr = 2;
                long len = b1 & 0x7f;
                if (len == 126) {
                    if (b.remaining() < 4) {
                        break;
                    }
                    len = ((b.get(start + 2) & 0xff) << 8) | (b.get(start + 3) & 0xff);
                    hdr = 4;
                } else if (len == 127) {
                    if (b.remaining() < 10) {
                        break;
                    }
                    len = b.getLong(start + 2);
                    hdr = 10;
                }
                if ((b1 & 0x80) != 0) {
                    hdr += 4; // servers must not mask; tolerate it for the length arithmetic
                }
                if (b.remaining() < hdr + len) {
                    break;
                }
                int p = start + hdr;
                int plen = (int) len;
                int opcode = b0 & 0x0f;
                if (opcode == 1 || opcode == 2 || opcode == 0) {
                    if (c.state == 2) {
                        c.state = 3;
                        ready.incrementAndGet();
                        pending.decrementAndGet();
                    } else {
                        byte[] a = b.array();
                        int limit = p + plen;
                        int i = p;
                        while (i < limit && a[i] != '~') {
                            i++;
                        }
                        if (i < limit) {
                            // ~seq:pub:t~
                            long seq = 0;
                            i++;
                            while (a[i] != ':') {
                                seq = seq * 10 + (a[i++] - '0');
                            }
                            int pubIdx = 0;
                            i++;
                            while (a[i] != ':') {
                                pubIdx = pubIdx * 10 + (a[i++] - '0');
                            }
                            long t = 0;
                            i++;
                            while (a[i] != '~') {
                                t = t * 10 + (a[i++] - '0');
                            }
                            if (!c.publisher) {
                                delivered0++;
                                if (seq < c.lastSeq[pubIdx]) {
                                    ooo++;
                                }
                                c.lastSeq[pubIdx] = seq;
                                if (seq >= recordFrom && seq < recordTo) {
                                    rec++;
                                    long us = (now - t) / 1000;
                                    recorder.recordValue(Math.max(1, us));
                                }
                            }
                        }
                    }
                    c.lastFrameLen = hdr + plen;
                    c.lastPayloadLen = plen;
                    if (wireMode) {
                        c.lastPayload = new String(b.array(), p, plen, StandardCharsets.UTF_8);
                    }
                } else if (opcode == 9) {
                    // ping (Duplex's heartbeat): answer with a pong carrying the same payload
                    byte[] body = new byte[plen];
                    b.get(p, body);
                    byte[] pong = maskedTextFrame(body);
                    pong[0] = (byte) 0x8A;
                    synchronized (c) {
                        writeFully(c.ch, ByteBuffer.wrap(pong));
                    }
                } else if (opcode == 8) {
                    int code = plen >= 2 ? ((b.get(p) & 0xff) << 8) | (b.get(p + 1) & 0xff) : 1005;
                    closes.computeIfAbsent(code, k -> new AtomicInteger()).incrementAndGet();
                    if (c.state < 3) {
                        failed.incrementAndGet();
                        pending.decrementAndGet();
                        if (firstError == null) {
                            firstError = "closed with " + code + " before welcome";
                        }
                    }
                    c.state = 4;
                    key.cancel();
                    c.ch.close();
                    return;
                }
                b.position(p + plen);
            }
            b.compact();
            growIfFull(c);
            if (delivered0 != 0) {
                delivered.lazySet(delivered.get() + delivered0);
            }
            if (rec != 0) {
                recorded = recorded + rec;
            }
            if (ooo != 0) {
                outOfOrder = outOfOrder + ooo;
            }
        }

        void growIfFull(Conn c) {
            if (!c.in.hasRemaining()) {
                ByteBuffer bigger = ByteBuffer.allocate(c.in.capacity() * 2);
                c.in.flip();
                bigger.put(c.in);
                c.in = bigger;
            }
        }
    }

    static final byte[] CRLFCRLF = "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);

    static int indexOf(byte[] a, int limit, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= limit; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (a[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    // ================================================================ publishing

    final class Publisher {
        final List<Conn> conns;
        final int textSize;
        long seq;
        final byte[] buf = new byte[65536];

        Publisher(List<Conn> conns, int textSize) {
            this.conns = conns;
            this.textSize = textSize;
        }

        /** Publishes for durationNs at rate msgs/s in total (0: as fast as the window allows). */
        void run(double rate, long durationNs, int window, int subs) throws IOException {
            long start = System.nanoTime();
            long end = start + durationNs;
            long n = 0;
            long fromSeq = seq;
            long deliveredAtStart = totalDelivered();
            while (true) {
                long now = System.nanoTime();
                if (now >= end) {
                    return;
                }
                long t;
                if (rate > 0) {
                    long due = start + (long) (n * 1e9 / rate);
                    if (due > now) {
                        LockSupport.parkNanos(Math.min(due - now, end - now));
                        continue;
                    }
                    t = due; // intended send time: a stalled publisher counts against latency
                } else {
                    long sentDeliveries = (seq - fromSeq) * (long) subs;
                    if (sentDeliveries - (totalDelivered() - deliveredAtStart) >= (long) window * subs) {
                        LockSupport.parkNanos(50_000);
                        continue;
                    }
                    t = now;
                }
                Conn c = conns.get((int) (seq % conns.size()));
                if (c.state != 3) {
                    throw new IOException("publisher " + c.name + " is not open (state " + c.state + ")");
                }
                int len = frame(seq, c.pubIndex, t);
                synchronized (c) {
                    writeFully(c.ch, ByteBuffer.wrap(buf, 0, len));
                }
                seq++;
                n++;
            }
        }

        int frame(long s, int pub, long t) {
            StringBuilder text = new StringBuilder(textSize + 40);
            text.append("{\"type\":\"message\",\"text\":\"~").append(s).append(':').append(pub).append(':')
                    .append(t).append('~');
            int pad = textSize - (text.length() - 26);
            for (int i = 0; i < pad; i++) {
                text.append('x');
            }
            text.append("\"}");
            byte[] payload = text.toString().getBytes(StandardCharsets.US_ASCII);
            byte[] f = maskedTextFrame(payload);
            System.arraycopy(f, 0, buf, 0, f.length);
            return f.length;
        }
    }

    static byte[] maskedTextFrame(byte[] payload) {
        int len = payload.length;
        int hdr = len < 126 ? 2 : 4;
        byte[] f = new byte[hdr + 4 + len];
        f[0] = (byte) 0x81;
        if (len < 126) {
            f[1] = (byte) (0x80 | len);
        } else {
            f[1] = (byte) (0x80 | 126);
            f[2] = (byte) (len >>> 8);
            f[3] = (byte) len;
        }
        int mask = ThreadLocalRandom.current().nextInt();
        byte[] m = {(byte) (mask >>> 24), (byte) (mask >>> 16), (byte) (mask >>> 8), (byte) mask};
        System.arraycopy(m, 0, f, hdr, 4);
        for (int i = 0; i < len; i++) {
            f[hdr + 4 + i] = (byte) (payload[i] ^ m[i & 3]);
        }
        return f;
    }

    static void writeFully(SocketChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (ch.write(b) == 0) {
                LockSupport.parkNanos(20_000);
            }
        }
    }

    // ================================================================ /proc

    /** utime + stime of a process in clock ticks; pid -1 is this process. */
    static long cpuTicks(long pid) {
        if (pid == 0) {
            return 0;
        }
        try {
            String stat = Files.readString(Path.of("/proc/" + (pid < 0 ? "self" : Long.toString(pid)) + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]); // fields 14 and 15
        } catch (IOException e) {
            return -1;
        }
    }

    /** A /proc figure summed over several processes; -1 if it is unknown for any of them. */
    static long sumOver(long[] pids, LongUnaryOperator figure) {
        long total = 0;
        for (long pid : pids) {
            long v = figure.applyAsLong(pid);
            if (v < 0) {
                return -1;
            }
            total += v;
        }
        return total;
    }

    static long rssKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return -1;
    }

    static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    void emit(Map<String, Object> r) {
        StringBuilder sb = new StringBuilder("{");
        sb.append("\"server\":\"").append(opt("server", "")).append("\",\"round\":").append(opt("round", "0"));
        for (Map.Entry<String, Object> e : r.entrySet()) {
            if (sb.length() > 1) {
                sb.append(',');
            }
            sb.append('"').append(e.getKey()).append("\":");
            Object v = e.getValue();
            if (v == null) {
                sb.append("null");
            } else if (v instanceof Number) {
                sb.append(v);
            } else if (e.getKey().equals("closes")) {
                sb.append(v);
            } else {
                sb.append('"').append(jsonEscape(v.toString())).append('"');
            }
        }
        System.out.println(sb.append('}'));
        System.out.flush();
    }

    static String jsonEscape(String s) {
        StringBuilder sb = new StringBuilder();
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                default -> {
                    if (ch < 0x20) {
                        sb.append(String.format("\\u%04x", (int) ch));
                    } else {
                        sb.append(ch);
                    }
                }
            }
        }
        return sb.toString();
    }
}
