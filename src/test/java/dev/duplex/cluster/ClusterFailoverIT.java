package dev.duplex.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The real deployment test (docs/SCALING.md), run by {@code mvn verify -Pcluster}: scripts/failover
 * starts redis-server, two Payara Micro nodes (--nohazelcast) and nginx on loopback, kills a node
 * and Redis mid-traffic and counts lost and duplicated acked messages. Outside CI the test is
 * skipped when redis-server or nginx is missing; in CI ({@code CI} set) that fails it.
 */
class ClusterFailoverIT {

    @Test
    void twoNodesBehindNginxLoseAndRepeatNothingThroughANodeKillAndARedisRestart() throws Exception {
        for (String tool : new String[] {"/usr/bin/redis-server", "/usr/sbin/nginx", "/usr/bin/python3"}) {
            if (!new File(tool).canExecute()) {
                if (System.getenv("CI") != null) {
                    throw new IllegalStateException(tool + " is missing (apt-get install redis-server nginx python3-websockets)");
                }
                Assumptions.abort(tool + " is missing; skipping the clustered failover test");
            }
        }
        Path output = Path.of("target", "failover.txt");
        Process failover = new ProcessBuilder("scripts/failover")
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
        boolean finished = failover.waitFor(9, TimeUnit.MINUTES);
        if (!finished) {
            failover.descendants().forEach(ProcessHandle::destroyForcibly);
            failover.destroyForcibly();
        }
        String text = Files.readString(output, StandardCharsets.UTF_8);
        System.out.println(text);
        assertTrue(finished, "scripts/failover did not finish in 9 minutes");
        assertTrue(text.contains("acked messages lost     0"), text);
        assertTrue(text.contains("duplicates              0"), text);
        assertTrue(text.contains("RESULT: PASS"), text);
        assertEquals(0, failover.exitValue(), text);
    }
}
