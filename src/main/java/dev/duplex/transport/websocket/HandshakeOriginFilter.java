package dev.duplex.transport.websocket;

import dev.duplex.app.DuplexLocator;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.annotation.WebFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * Answers a WebSocket handshake to {@code /chat} from a refused browser origin with HTTP 403 on
 * every container. The endpoint configurator's {@code checkOrigin} refuses it too, but containers
 * disagree on what follows: most answer 403, Undertow (WildFly) lets the request fall through to
 * the servlet chain, which answers 404. Whichever runs first, this filter or the container's own
 * WebSocket filter, the client sees 403. Same {@code OriginPolicy} as the configurator.
 */
@WebFilter(urlPatterns = "/chat", asyncSupported = true)
public class HandshakeOriginFilter implements Filter {

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (request instanceof HttpServletRequest http && response instanceof HttpServletResponse reply
                && "websocket".equalsIgnoreCase(http.getHeader("Upgrade"))
                && !DuplexLocator.current().originPolicy().allows(http.getHeader("Origin"), http.getHeader("Host"))) {
            reply.sendError(HttpServletResponse.SC_FORBIDDEN);
            return;
        }
        chain.doFilter(request, response);
    }
}
