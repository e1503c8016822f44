/**
 * The composition root: {@code Duplex} wires every service once, as plain Java, so the same graph
 * runs under CDI ({@code DuplexBean}, an application-scoped bean) and on containers without it;
 * {@code DuplexLocator} hands it to the endpoints and servlets the container creates, and refuses
 * to build a new one after undeploy. Nothing below depends on this package.
 */
package dev.duplex.app;
