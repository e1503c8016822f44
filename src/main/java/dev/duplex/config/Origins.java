package dev.duplex.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/** Canonical form of a web origin, so that configured and received origins compare as equal strings. */
public final class Origins {

    private Origins() {
    }

    /**
     * {@code scheme://host[:port]} in lower case, without a default port or trailing slash;
     * {@code null} when the text is not an http(s) origin.
     */
    public static String normalize(String origin) {
        if (origin == null) {
            return null;
        }
        try {
            URI uri = new URI(origin.trim());
            String scheme = uri.getScheme();
            String host = uri.getHost();
            if (scheme == null || host == null) {
                return null;
            }
            scheme = scheme.toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                return null;
            }
            int port = uri.getPort();
            boolean defaultPort = port == -1 || port == defaultPort(scheme);
            return scheme + "://" + host.toLowerCase(Locale.ROOT) + (defaultPort ? "" : ":" + port);
        } catch (URISyntaxException e) {
            return null;
        }
    }

    /** The authority a browser would put in {@code Host} for this origin, e.g. {@code localhost:8080}. */
    public static String authority(String normalizedOrigin) {
        return normalizedOrigin.substring(normalizedOrigin.indexOf("://") + 3);
    }

    /** A {@code Host} header in the same canonical form as {@link #authority}, given the origin's scheme. */
    public static String normalizeHost(String hostHeader, String scheme) {
        String host = hostHeader.trim().toLowerCase(Locale.ROOT);
        String defaultSuffix = ":" + defaultPort(scheme);
        return host.endsWith(defaultSuffix) ? host.substring(0, host.length() - defaultSuffix.length()) : host;
    }

    private static int defaultPort(String scheme) {
        return scheme.equals("https") ? 443 : 80;
    }
}
