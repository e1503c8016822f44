package dev.duplex.web;

import jakarta.servlet.ServletRequestEvent;
import jakarta.servlet.ServletRequestListener;
import jakarta.servlet.annotation.WebListener;
import jakarta.servlet.http.HttpServletRequest;

/**
 * Remembers the {@code Host} of the request being handled on this thread. The WebSocket
 * configurator's {@code checkOrigin} sees only the {@code Origin} header, but the same-host rule
 * needs the host too; containers run the handshake on the request's own thread, so a thread-local
 * bound for exactly the request's lifetime carries it across portably.
 */
@WebListener
public class HandshakeRequests implements ServletRequestListener {

    private static final ThreadLocal<String> HOST = new ThreadLocal<>();

    /** The {@code Host} header of the request on this thread, or null outside a servlet request. */
    public static String currentHost() {
        return HOST.get();
    }

    @Override
    public void requestInitialized(ServletRequestEvent event) {
        if (event.getServletRequest() instanceof HttpServletRequest request) {
            HOST.set(request.getHeader("Host"));
        }
    }

    @Override
    public void requestDestroyed(ServletRequestEvent event) {
        HOST.remove();
    }
}
