package dev.duplex.app;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.duplex.config.DuplexConfig;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** docs/PROTOCOL.md "Shutdown and redeploy": nothing of the old deployment keeps running. */
class DuplexLocatorTest {

    @AfterEach
    void leaveNothingInstalled() {
        DuplexLocator.shutdown();
    }

    // A request that arrives after undeploy used to build a whole new Duplex, threads included,
    // that nothing would ever close.
    @Test
    void afterShutdownNoNewInstanceIsBuilt() {
        Duplex duplex = new Duplex(DuplexConfig.of(Map.of()));
        DuplexLocator.install(duplex);
        assertSame(duplex, DuplexLocator.current());
        DuplexLocator.shutdown();
        assertTrue(duplex.isClosed());
        assertThrows(IllegalStateException.class, DuplexLocator::current);
    }

    @Test
    void aNewDeploymentInstallsAgain() {
        DuplexLocator.shutdown();
        Duplex next = new Duplex(DuplexConfig.of(Map.of()));
        DuplexLocator.install(next);
        assertSame(next, DuplexLocator.current());
    }
}
