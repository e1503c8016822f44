package dev.duplex.it;

import jakarta.json.Json;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import jakarta.json.spi.JsonProvider;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URL;

/**
 * Test-only servlet that {@link RuntimeLibrariesIT} adds to a copy of the shipped WAR: it reports,
 * from inside the deployed application, which JSON-B and JSON-P implementations the application's
 * class loader really resolves (the server's own, or the copies bundled in WEB-INF/lib) and
 * whether CDI is there. It resolves them exactly as the application does
 * ({@code JsonbBuilder.create()}, {@code Json.create*}), with the same class loaders.
 */
@WebServlet("/runtime-probe")
public class RuntimeProbeServlet extends HttpServlet {

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        JsonObjectBuilder out = Json.createObjectBuilder()
                .add("serverInfo", getServletContext().getServerInfo());
        try (Jsonb jsonb = JsonbBuilder.create()) {
            out.add("jsonb", jsonb.getClass().getName()).add("jsonbFrom", origin(jsonb.getClass()));
        } catch (Exception e) {
            out.add("jsonb", "failed: " + e).add("jsonbFrom", "");
        }
        JsonProvider jsonp = JsonProvider.provider();
        out.add("jsonp", jsonp.getClass().getName()).add("jsonpFrom", origin(jsonp.getClass()));
        out.add("jsonbApiFrom", origin(JsonbBuilder.class));
        out.add("cdi", cdiAvailable());
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.getWriter().write(out.build().toString());
    }

    private static String origin(Class<?> type) {
        String resource = type.getName().replace('.', '/') + ".class";
        ClassLoader loader = type.getClassLoader();
        URL url = loader == null ? ClassLoader.getSystemResource(resource) : loader.getResource(resource);
        return url == null ? "unknown" : url.toString();
    }

    private static boolean cdiAvailable() {
        try {
            jakarta.enterprise.inject.spi.CDI.current();
            return true;
        } catch (LinkageError | IllegalStateException e) {
            return false;
        }
    }
}
