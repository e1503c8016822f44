/**
 * Configuration: the one class that reads every {@code DUPLEX_*} environment variable and
 * {@code duplex.*} system property at start-up, with validation and documented defaults, plus the
 * origin canonicalisation shared by configuration and the handshake check. Nothing else in the
 * code base reads the environment.
 */
package dev.duplex.config;
