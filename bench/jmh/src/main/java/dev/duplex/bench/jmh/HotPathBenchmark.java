package dev.duplex.bench.jmh;

import dev.duplex.codec.FrameCodec;
import dev.duplex.message.ClientFrame;
import dev.duplex.message.ServerFrame;
import dev.duplex.connection.Connection;
import dev.duplex.connection.OutboundFrame;
import dev.duplex.connection.SubProtocol;
import dev.duplex.connection.Transport;
import dev.duplex.message.CloseCode;
import dev.duplex.message.FrameKind;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Duplex's per-message hot path without the container: decode one client frame, encode one
 * broadcast, and hand the encoded broadcast to many connections' outbound queues whose transport
 * completes each write at once (the container's share is what bench/run.sh measures end to end).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HotPathBenchmark {

    static final String CLIENT_TEXT = "{\"type\":\"message\",\"text\":\"~12345:0:987654321012~xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}";

    @Param({"1000"})
    int sessions;

    ServerFrame.ChatMessage message;
    List<Connection> connections;
    OutboundFrame encoded;

    /** Completes every write inline, as a container with room in its socket buffer does. */
    static final class InlineTransport implements Transport {
        long sent;

        @Override
        public String name() {
            return "bench";
        }

        @Override
        public void write(List<OutboundFrame> frames, Completion done) {
            for (OutboundFrame frame : frames) {
                sent += frame.text().length();
            }
            done.completed(null);
        }

        @Override
        public void keepAlive(long sequence, Completion done) {
            done.completed(null);
        }

        @Override
        public void close(CloseCode.Close close) {
        }

        @Override
        public void abort() {
        }
    }

    /** What a {@code chat} session receives. */
    static final SubProtocol CHAT = new SubProtocol() {
        @Override
        public String name() {
            return "chat";
        }

        @Override
        public boolean receives(FrameKind kind) {
            return kind == FrameKind.MESSAGE || kind == FrameKind.NOTICE;
        }
    };

    @Setup
    public void setUp() {
        message = new ServerFrame.ChatMessage("1795323819243000", "bench", "p0",
                "~12345:0:987654321012~xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", Instant.now());
        encoded = OutboundFrame.of(FrameCodec.encode(message));
        connections = new ArrayList<>();
        for (int i = 0; i < sessions; i++) {
            Connection connection = new Connection("s" + i, "bench", CHAT, new InlineTransport(),
                    new Connection.Limits(1 << 20, TimeUnit.SECONDS.toNanos(10), 1_000_000, 1_000_000), "127.0.0.1",
                    Runnable::run, System::nanoTime);
            connection.activate();
            connections.add(connection);
        }
    }

    @Benchmark
    public ClientFrame decode() {
        return FrameCodec.decode(CLIENT_TEXT);
    }

    @Benchmark
    public String encode() {
        return FrameCodec.encode(message);
    }

    /** One broadcast to every session; divide by {@code sessions} for the cost per delivery. */
    @Benchmark
    public void fanOut(Blackhole bh) {
        for (Connection c : connections) {
            c.send(encoded);
        }
        bh.consume(connections.size());
    }
}
