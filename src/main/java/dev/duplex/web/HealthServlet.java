package dev.duplex.web;

import dev.duplex.codec.FrameCodec;
import dev.duplex.app.Duplex;
import dev.duplex.app.DuplexLocator;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * {@code GET /health}: 200 when this node can serve chat, 503 when it cannot (clustered and Redis
 * is unreachable). For load balancers and operators (docs/SCALING.md).
 */
@WebServlet(urlPatterns = "/health")
public class HealthServlet extends HttpServlet {

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Duplex duplex = DuplexLocator.current();
        boolean healthy = duplex.healthy();
        String backplane = duplex.backplaneKind();
        boolean redis = "redis".equals(backplane);
        Health body = new Health(healthy ? "up" : "down", backplane, redis ? (healthy ? "up" : "down") : null,
                duplex.nodeId(), duplex.sessions().openSessions());
        response.setStatus(healthy ? HttpServletResponse.SC_OK : HttpServletResponse.SC_SERVICE_UNAVAILABLE);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-store");
        response.getWriter().write(FrameCodec.toJson(body));
    }

    /**
     * @param status   up or down
     * @param backplane memory (a single node) or redis
     * @param redis    up or down; absent for a single node
     * @param node     this node's id in the cluster; absent for a single node
     * @param sessions open chat sessions on this node
     */
    public record Health(String status, String backplane, String redis, String node, int sessions) {
    }
}
