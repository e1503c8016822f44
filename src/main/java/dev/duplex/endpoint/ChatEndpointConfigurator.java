package dev.duplex.endpoint;

import dev.duplex.protocol.SubProtocols;
import dev.duplex.service.DuplexLocator;
import dev.duplex.web.HandshakeRequests;
import jakarta.websocket.server.ServerEndpointConfig;
import java.util.List;

/**
 * Handshake decisions for {@link ChatEndpoint}: which sub-protocol is agreed, and whether the
 * browser origin may connect. Refusing the origin here makes every container answer HTTP 403.
 */
public class ChatEndpointConfigurator extends ServerEndpointConfig.Configurator {

    @Override
    public String getNegotiatedSubprotocol(List<String> supported, List<String> requested) {
        return SubProtocols.negotiate(supported, requested);
    }

    @Override
    public boolean checkOrigin(String originHeaderValue) {
        return DuplexLocator.current().originPolicy().allows(originHeaderValue, HandshakeRequests.currentHost());
    }
}
