package dev.duplex.it;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs the black-box contract suite (Python, Debian's {@code python3-websockets}) against a
 * deployed server. Where that library is missing the test is skipped with instructions, except in
 * CI ({@code CI} set), where a missing library is a failure so the check can never silently vanish.
 */
final class BlackBox {

    private static final String PYTHON = "/usr/bin/python3";
    private static final Path SCRIPT = Path.of("src/test/blackbox/contract_test.py");
    private static final long TIMEOUT_SECONDS = 180;

    private BlackBox() {
    }

    record Result(int exitCode, String output) {
    }

    static void assumeAvailable() throws Exception {
        boolean available = Files.isExecutable(Path.of(PYTHON))
                && run(PYTHON, "-c", "import websockets").exitCode() == 0;
        if (System.getenv("CI") != null && !available) {
            throw new AssertionError("CI needs " + PYTHON + " with python3-websockets (see .ci/run)");
        }
        Assumptions.assumeTrue(available,
                "black-box suite skipped: install Debian's python3-websockets (apt-get install python3-websockets)");
    }

    static Result run(URI httpBase, String token, String allowedOrigin) throws Exception {
        return run(PYTHON, SCRIPT.toString(), "--base", httpBase.toString(), "--token", token,
                "--allowed-origin", allowedOrigin);
    }

    private static Result run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        // Read on another thread so a chatty child never blocks on a full pipe while we wait.
        var output = new java.util.concurrent.CompletableFuture<String>();
        Thread reader = new Thread(() -> {
            try {
                output.complete(new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                output.completeExceptionally(e);
            }
        }, "black-box-output");
        reader.start();
        if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish in " + TIMEOUT_SECONDS + " s");
        }
        String text = output.get(10, TimeUnit.SECONDS);
        System.out.println(text);
        return new Result(process.exitValue(), text);
    }
}
