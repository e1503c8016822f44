package dev.duplex.service;

import jakarta.websocket.CloseReason;
import jakarta.websocket.SendHandler;

/** Where one session's outbound frames go: the WebSocket session itself, or a test double. */
public interface FrameSink {

    /** Starts sending one text frame; {@code done} is called exactly once, possibly on this thread. */
    void sendText(String text, SendHandler done);

    /** Sends a WebSocket ping; {@code done} is called exactly once, possibly on this thread. */
    void sendPing(SendHandler done);

    /** Closes the connection with this code and reason; never throws. */
    void close(CloseReason reason);
}
