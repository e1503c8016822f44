package dev.duplex.web;

import dev.duplex.app.DuplexLocator;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.annotation.WebListener;

/**
 * Starts the chat services when the application deploys (rather than on the first connection, so
 * a bad setting fails the deployment) and closes them when it is undeployed.
 */
@WebListener
public class DuplexLifecycle implements ServletContextListener {

    @Override
    public void contextInitialized(ServletContextEvent event) {
        DuplexLocator.current();
    }

    @Override
    public void contextDestroyed(ServletContextEvent event) {
        DuplexLocator.shutdown();
    }
}
