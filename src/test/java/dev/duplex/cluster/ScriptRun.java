package dev.duplex.cluster;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * One run of a cluster script, output kept in a file under target/ and printed: a script that
 * outlives its bound is killed with every process it started.
 *
 * @param finished whether it ended within the bound
 * @param exitCode its exit code, or -1 when it was killed
 * @param output   everything it printed
 */
record ScriptRun(boolean finished, int exitCode, String output) {

    static ScriptRun run(ProcessBuilder builder, Path output, Duration bound) throws Exception {
        Process process = builder.redirectErrorStream(true).redirectOutput(output.toFile()).start();
        process.getOutputStream().close();
        boolean finished = process.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS);
        if (!finished) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
        String text = Files.readString(output, StandardCharsets.UTF_8);
        System.out.println(text);
        return new ScriptRun(finished, finished ? process.exitValue() : -1, text);
    }
}
