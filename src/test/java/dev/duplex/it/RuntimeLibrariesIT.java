package dev.duplex.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The one WAR bundles Yasson + Parsson (and the two APIs) for servlet containers without JSON-B,
 * and runs without CDI there. This checks, on each server of the matrix, which copy is really in
 * use: Tomcat must use the bundled one; a full Jakarta EE server must use its own and ignore the
 * copies. CDI must be present everywhere except on Tomcat. The findings are also written to
 * target/runtime-libraries-SERVER.json for scripts/compat-matrix.
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
class RuntimeLibrariesIT {

    /** The arquillian.xml qualifier of the server under test, set by the Maven profile. */
    private static final String SERVER = System.getProperty("arquillian.launch", "payara-micro");
    /** Servers that are servlet containers only: no JSON-B, no CDI of their own. */
    private static final boolean PLAIN_SERVLET_CONTAINER = SERVER.equals("tomcat");

    @ArquillianResource
    private URL deployment;

    @Deployment(testable = false)
    static WebArchive war() {
        return PackagedWar.named("duplex-probe.war").addClass(RuntimeProbeServlet.class);
    }

    @Test
    void usesTheServersJsonBindingAndBundledCopiesOnlyWhereItHasNone() throws Exception {
        JsonObject probe = probe();
        assertTrue(probe.getString("jsonb").startsWith("org.eclipse.yasson"), probe.toString());
        assertEquals(PLAIN_SERVLET_CONTAINER, bundled(probe.getString("jsonbFrom")), probe.toString());
        assertEquals(PLAIN_SERVLET_CONTAINER, bundled(probe.getString("jsonbApiFrom")), probe.toString());
        // Open Liberty is the one full server that picks the bundled Parsson for JSON-P (its
        // JsonProvider lookup asks the application's class loader first; JSON-B stays Liberty's).
        // Same Parsson line either way; docs/COMPATIBILITY.md records it.
        boolean bundledJsonp = PLAIN_SERVLET_CONTAINER || SERVER.equals("liberty");
        assertEquals(bundledJsonp, bundled(probe.getString("jsonpFrom")), probe.toString());
    }

    @Test
    void hasCdiExceptOnPlainServletContainers() throws Exception {
        assertEquals(!PLAIN_SERVLET_CONTAINER, probe().getBoolean("cdi"));
    }

    private static boolean bundled(String origin) {
        return origin.contains("WEB-INF/lib/");
    }

    private JsonObject probe() throws Exception {
        String path = deployment.getPath().endsWith("/") ? deployment.getPath() : deployment.getPath() + "/";
        URI uri = URI.create("http://127.0.0.1:" + deployment.getPort() + path + "runtime-probe");
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response.body());
        Files.writeString(Path.of("target", "runtime-libraries-" + SERVER + ".json"), response.body());
        try (var reader = Json.createReader(new StringReader(response.body()))) {
            return reader.readObject();
        }
    }
}
