package dev.duplex.service;

import dev.duplex.config.DuplexConfig;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The CDI-managed owner of the application's {@link Duplex}: created once per deployment, closed
 * (every session gets 1001) when the application is undeployed or the server stops.
 */
@ApplicationScoped
public class DuplexBean {

    private Duplex duplex;

    @PostConstruct
    void start() {
        duplex = new Duplex(DuplexConfig.fromEnvironment());
    }

    @PreDestroy
    void stop() {
        duplex.close();
    }

    public Duplex duplex() {
        return duplex;
    }
}
