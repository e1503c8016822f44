package dev.duplex.service;

import dev.duplex.config.DuplexConfig;

/**
 * Finds the running {@link Duplex} for endpoints and servlets, which containers instantiate
 * themselves. Under CDI it is the {@link DuplexBean}'s; without CDI (plain servlet containers,
 * in-process tests) one instance is created on first use and closed by {@link #shutdown()}.
 */
public final class DuplexLocator {

    private static volatile Duplex standalone;
    private static volatile Boolean cdiPresent;

    private DuplexLocator() {
    }

    public static Duplex current() {
        Duplex local = standalone;
        if (local != null) {
            return local;
        }
        if (cdiAvailable()) {
            return jakarta.enterprise.inject.spi.CDI.current().select(DuplexBean.class).get().duplex();
        }
        synchronized (DuplexLocator.class) {
            if (standalone == null) {
                standalone = new Duplex(DuplexConfig.fromEnvironment());
            }
            return standalone;
        }
    }

    /**
     * Uses {@code duplex} instead of the CDI bean or the default standalone instance, for embedding
     * and tests; the previous standalone instance, if any, is closed.
     */
    public static synchronized void install(Duplex duplex) {
        Duplex previous = standalone;
        standalone = duplex;
        if (previous != null && previous != duplex) {
            previous.close();
        }
    }

    /** Closes the standalone instance, if one is in use (the CDI bean closes itself). */
    public static synchronized void shutdown() {
        install(null);
    }

    private static boolean cdiAvailable() {
        Boolean known = cdiPresent;
        if (known == null) {
            known = probeCdi();
            cdiPresent = known;
        }
        return known;
    }

    private static boolean probeCdi() {
        try {
            Class.forName("jakarta.enterprise.inject.spi.CDI", false, DuplexLocator.class.getClassLoader());
            return jakarta.enterprise.inject.spi.CDI.current().select(DuplexBean.class).isResolvable();
        } catch (ClassNotFoundException | LinkageError | IllegalStateException e) {
            return false;
        }
    }
}
