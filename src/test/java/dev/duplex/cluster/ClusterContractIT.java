package dev.duplex.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The superchat contract across two nodes of one server kind (docs/SCALING.md, "The cluster
 * contract run"), run by {@code mvn verify -Pcluster}: scripts/cluster-contract starts redis-server
 * and two Tomcat or two Payara Micro nodes on loopback and checks presence, acks and directs
 * between clients on different nodes. Tomcat numbers WebSocket sessions per JVM, so its nodes
 * hand out the same session ids, which is what this catches. Outside CI the test is skipped when
 * redis-server or python3-websockets is missing; in CI ({@code CI} set) that fails it.
 */
class ClusterContractIT {

    private static final String PYTHON = "/usr/bin/python3";

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"tomcat", "payara-micro"})
    void twoNodesSharingRedisKeepTheSuperchatContract(String server) throws Exception {
        assumeToolsPresent();
        ProcessBuilder builder = new ProcessBuilder("scripts/cluster-contract", "--server", server);
        // The servers the cluster profile fetched from Maven Central (the script finds them itself otherwise).
        String tomcatHome = System.getProperty("tomcat.home");
        if (tomcatHome != null && !tomcatHome.isBlank()) {
            builder.environment().put("TOMCAT_HOME", tomcatHome);
        }
        String payaraJar = System.getProperty("payara.micro.jar");
        if (payaraJar != null && !payaraJar.isBlank()) {
            builder.environment().put("PAYARA_MICRO_JAR", payaraJar);
        }
        // The script stops itself after 180 s; five minutes is the backstop if it hangs anyway.
        ScriptRun run = ScriptRun.run(builder, Path.of("target", "cluster-contract-" + server + ".txt"),
                Duration.ofMinutes(5));
        boolean finished = run.finished();
        String text = run.output();
        // The script's summary (the failed expectations, each with its node) goes in the failure message.
        int summary = text.indexOf("CLUSTER CONTRACT on");
        int result = text.indexOf("RESULT:", Math.max(summary, 0));
        int end = result < 0 ? -1 : text.indexOf('\n', result);
        String failures = summary >= 0 && result >= 0
                ? text.substring(summary, end < 0 ? text.length() : end)
                : text.lines().skip(Math.max(0, text.lines().count() - 40)).collect(Collectors.joining("\n"));
        assertTrue(finished, "scripts/cluster-contract --server " + server + " did not finish in 5 minutes\n" + text);
        assertEquals(0, run.exitCode(), "cluster contract on " + server + " failed (full output above, logs in "
                + "target/cluster-contract/" + server + "):\n" + failures);
        assertTrue(text.contains("RESULT: PASS"), text);
    }

    private static void assumeToolsPresent() throws Exception {
        String missing = null;
        if (!new File("/usr/bin/redis-server").canExecute()) {
            missing = "/usr/bin/redis-server";
        } else if (!new File(PYTHON).canExecute()
                || new ProcessBuilder(PYTHON, "-c", "import websockets").redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor() != 0) {
            missing = PYTHON + " with python3-websockets";
        }
        if (missing == null) {
            return;
        }
        if (System.getenv("CI") != null) {
            throw new IllegalStateException(missing + " is missing (apt-get install redis-server python3-websockets)");
        }
        Assumptions.abort(missing + " is missing; skipping the cluster contract run");
    }
}
