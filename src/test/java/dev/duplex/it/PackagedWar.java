package dev.duplex.it;

import java.io.File;
import java.net.URI;
import java.net.URL;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.importer.ZipImporter;
import org.jboss.shrinkwrap.api.spec.WebArchive;

/** The WAR the build just packaged, so the deployed tests exercise exactly what ships. */
final class PackagedWar {

    private PackagedWar() {
    }

    /** target/duplex.war, deployed under {@code name} (which sets the context root on some servers). */
    static WebArchive named(String name) {
        return ShrinkWrap.create(ZipImporter.class, name)
                .importFrom(new File("target/duplex.war"))
                .as(WebArchive.class);
    }

    /** The deployment's base URL in {@code scheme}, on loopback: the adapter may report a host name. */
    static URI loopback(URL deployment, String scheme) {
        String path = deployment.getPath().endsWith("/") ? deployment.getPath() : deployment.getPath() + "/";
        return URI.create(scheme + "://127.0.0.1:" + deployment.getPort() + path);
    }
}
