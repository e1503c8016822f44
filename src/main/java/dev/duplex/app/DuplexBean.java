package dev.duplex.app;

import dev.duplex.config.DuplexConfig;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.util.concurrent.ScheduledExecutorService;
import javax.naming.InitialContext;
import javax.naming.NamingException;

/**
 * The CDI-managed owner of the application's {@link Duplex}: created once per deployment, closed
 * (every session gets 1001) when the application is undeployed or the server stops: by
 * {@link DuplexLocator#shutdown()} from the servlet listener, and here again, which is then a no-op
 * (see there why the listener closes it first). The heartbeat runs on the container's default
 * managed scheduler where the server has one.
 */
@ApplicationScoped
public class DuplexBean {

    private Duplex duplex;

    private static final String DEFAULT_SCHEDULER = "java:comp/DefaultManagedScheduledExecutorService";

    @PostConstruct
    void start() {
        duplex = new Duplex(DuplexConfig.fromEnvironment(), Clock.systemUTC(), managedScheduler());
    }

    private static ScheduledExecutorService managedScheduler() {
        try {
            return (ScheduledExecutorService) new InitialContext().lookup(DEFAULT_SCHEDULER);
        } catch (NamingException | ClassCastException e) {
            return null; // no Concurrency Utilities here: Duplex runs its own heartbeat thread
        }
    }

    @PreDestroy
    void stop() {
        duplex.close();
    }

    public Duplex duplex() {
        return duplex;
    }
}
