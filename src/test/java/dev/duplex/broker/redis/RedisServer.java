package dev.duplex.broker.redis;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real redis-server (Debian's {@code redis-server}) on a free port in 13000-13999, for tests.
 * No mocks of Redis: without the binary the test is skipped, except in CI ({@code CI} set), where
 * .ci/run installs it and its absence fails the build.
 */
public final class RedisServer implements AutoCloseable {

    private final int port;
    private final Path dir;
    private Process process;

    private RedisServer(int port, Path dir) {
        this.port = port;
        this.dir = dir;
    }

    /** Starts a server on a free port, or skips the test when redis-server is not installed. */
    public static RedisServer start() throws Exception {
        String binary = binary();
        if (binary == null) {
            if (System.getenv("CI") != null) {
                throw new IllegalStateException("redis-server is not installed (apt-get install redis-server)");
            }
            Assumptions.abort("redis-server is not installed (apt-get install redis-server); skipping");
        }
        RedisServer server = new RedisServer(freePort(), Files.createTempDirectory("duplex-redis"));
        server.restart();
        return server;
    }

    private static String binary() {
        for (String candidate : List.of("/usr/bin/redis-server", "/usr/local/bin/redis-server")) {
            if (new File(candidate).canExecute()) {
                return candidate;
            }
        }
        return null;
    }

    private static int freePort() {
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = 13000 + (int) (Math.random() * 1000);
            try (ServerSocket probe = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
                return port;
            } catch (IOException taken) {
                // try another
            }
        }
        throw new IllegalStateException("no free port in 13000-13999");
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** (Re)starts the server on the same port, with no data (no persistence). */
    public void restart() throws Exception {
        process = new ProcessBuilder(binary(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", dir.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.log").toFile())
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try (Socket socket = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        throw new IllegalStateException("redis-server did not start on port " + port);
    }

    /** Kills the server (SIGKILL), as a crash would. */
    public void kill() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
            process = null;
        }
    }

    @Override
    public void close() throws Exception {
        kill();
    }
}
