package dev.duplex.broker;

/**
 * The cluster backplane (Redis) did not answer: nothing was stored or published. Callers tell the
 * client ({@code unavailable} error, close 1013) and carry on; the backplane reconnects by itself.
 */
public final class BackplaneUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public BackplaneUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
