package dev.duplex.transport.websocket;

import jakarta.servlet.ServletRequestEvent;
import jakarta.servlet.ServletRequestListener;
import jakarta.servlet.annotation.WebListener;
import jakarta.servlet.http.HttpServletRequest;

/**
 * Remembers the {@code Host} header and remote address of the request being handled on this
 * thread. The WebSocket configurator sees neither (its {@code checkOrigin} gets only the
 * {@code Origin} header), but the same-host rule needs the host and the per-address connection
 * limit the address; containers run the handshake on the request's own thread, so a thread-local
 * bound for exactly the request's lifetime carries them across portably.
 */
@WebListener
public class HandshakeRequests implements ServletRequestListener {

    private static final ThreadLocal<HttpServletRequest> CURRENT = new ThreadLocal<>();

    /** The {@code Host} header of the request on this thread, or null outside a servlet request. */
    public static String currentHost() {
        HttpServletRequest request = CURRENT.get();
        return request == null ? null : request.getHeader("Host");
    }

    /** The remote address of the request on this thread, or null outside a servlet request. */
    public static String currentRemoteAddress() {
        HttpServletRequest request = CURRENT.get();
        return request == null ? null : request.getRemoteAddr();
    }

    @Override
    public void requestInitialized(ServletRequestEvent event) {
        if (event.getServletRequest() instanceof HttpServletRequest request) {
            CURRENT.set(request);
        }
    }

    @Override
    public void requestDestroyed(ServletRequestEvent event) {
        CURRENT.remove();
    }
}
