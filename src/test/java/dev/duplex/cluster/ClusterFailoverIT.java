package dev.duplex.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
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
        ScriptRun run = ScriptRun.run(new ProcessBuilder("scripts/failover"), Path.of("target", "failover.txt"),
                Duration.ofMinutes(9));
        boolean finished = run.finished();
        String text = run.output();
        assertTrue(finished, "scripts/failover did not finish in 9 minutes");
        assertTrue(text.contains("acked messages lost     0"), text);
        assertTrue(text.contains("duplicates              0"), text);
        assertTrue(text.contains("RESULT: PASS"), text);
        assertEquals(0, run.exitCode(), text);
    }
}
