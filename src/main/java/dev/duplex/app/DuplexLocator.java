package dev.duplex.app;

import dev.duplex.config.DuplexConfig;

/**
 * Finds the running {@link Duplex} for endpoints and servlets, which containers instantiate
 * themselves. Under CDI it is the {@link DuplexBean}'s; without CDI (plain servlet containers,
 * in-process tests) one instance is created on first use. Either is closed by {@link #shutdown()}.
 */
public final class DuplexLocator {

    private static volatile Duplex standalone;
    /** The CDI bean's instance, once handed out: {@link #shutdown()} closes it. */
    private static volatile Duplex managed;
    private static volatile Boolean cdiPresent;
    /** Set by {@link #shutdown()}: the application is going away and must not start again. */
    private static volatile boolean shutDown;

    private DuplexLocator() {
    }

    /**
     * The running instance. After {@link #shutdown()} (undeploy) it throws instead of building a
     * new one, threads and all, for a request that arrived late.
     */
    public static Duplex current() {
        Duplex local = standalone;
        if (local != null) {
            return local;
        }
        if (shutDown) {
            throw new IllegalStateException("Duplex is shut down");
        }
        if (cdiAvailable()) {
            Duplex bean = jakarta.enterprise.inject.spi.CDI.current().select(DuplexBean.class).get().duplex();
            managed = bean;
            return bean;
        }
        synchronized (DuplexLocator.class) {
            if (shutDown) {
                throw new IllegalStateException("Duplex is shut down");
            }
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
        shutDown = false;
        Duplex previous = standalone;
        standalone = duplex;
        if (previous != null && previous != duplex) {
            previous.close();
        }
    }

    /**
     * Closes the running instance (undeploy: every session gets 1001), the standalone one or the
     * CDI bean's. The bean's {@code @PreDestroy} would close it too, but GlassFish runs it only after
     * it has stopped the application's class loader: the close then fails at the first class it has
     * not loaded yet ({@code NoClassDefFoundError}), and the sessions stay open. This runs from the
     * servlet listener, while the classes still load; the bean's second close does nothing.
     */
    public static synchronized void shutdown() {
        install(null);
        shutDown = true;
        Duplex bean = managed;
        managed = null;
        if (bean != null) {
            bean.close();
        }
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
