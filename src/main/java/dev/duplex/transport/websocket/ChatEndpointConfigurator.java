package dev.duplex.transport.websocket;

import dev.duplex.protocol.SubProtocols;
import dev.duplex.app.DuplexLocator;
import jakarta.websocket.HandshakeResponse;
import jakarta.websocket.server.HandshakeRequest;
import jakarta.websocket.server.ServerEndpointConfig;
import java.util.List;

/**
 * Handshake decisions for {@link ChatEndpoint}: which sub-protocol is agreed, whether the
 * browser origin may connect (refusing it here makes every container answer HTTP 403), and the
 * peer's address, handed to the session for the per-address connection limit.
 */
public class ChatEndpointConfigurator extends ServerEndpointConfig.Configurator {

    @Override
    public String getNegotiatedSubprotocol(List<String> supported, List<String> requested) {
        return SubProtocols.negotiate(supported, requested);
    }

    /** Jakarta WebSocket 2.1: these user properties are a per-connection copy that seeds the session's. */
    @Override
    public void modifyHandshake(ServerEndpointConfig config, HandshakeRequest request, HandshakeResponse response) {
        String address = HandshakeRequests.currentRemoteAddress();
        if (address != null) {
            config.getUserProperties().put(ChatEndpoint.REMOTE_ADDRESS, address);
        }
    }

    @Override
    public boolean checkOrigin(String originHeaderValue) {
        return DuplexLocator.current().originPolicy().allows(originHeaderValue, HandshakeRequests.currentHost());
    }
}
