package dev.duplex.support;

import jakarta.websocket.RemoteEndpoint;
import jakarta.websocket.SendHandler;
import jakarta.websocket.SendResult;
import jakarta.websocket.Session;
import java.lang.reflect.Proxy;
import java.security.Principal;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Minimal {@link Session} stand-ins for unit tests of session admission: they answer the handful
 * of calls the session manager makes and record the text sent to them.
 */
public final class FakeSessions {

    private FakeSessions() {
    }

    /** User property under which a fake session records the close reason it was closed with. */
    public static final String CLOSED_WITH = "test.closedWith";

    /** A session whose handshake carried this query and (optionally) authenticated user. */
    public static Session open(String id, String protocol, String query, String principal, List<String> sent) {
        Map<String, Object> userProperties = new HashMap<>();
        List<String> received = sent != null ? sent : new CopyOnWriteArrayList<>();
        RemoteEndpoint.Async remote = (RemoteEndpoint.Async) Proxy.newProxyInstance(
                FakeSessions.class.getClassLoader(), new Class<?>[] {RemoteEndpoint.Async.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("sendText") && args.length == 2) {
                        received.add((String) args[0]);
                        ((SendHandler) args[1]).onResult(new SendResult());
                    }
                    return null;
                });
        return (Session) Proxy.newProxyInstance(FakeSessions.class.getClassLoader(), new Class<?>[] {Session.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "getId" -> id;
                    case "getNegotiatedSubprotocol" -> protocol;
                    case "getQueryString" -> query;
                    case "getUserPrincipal" -> principal == null ? null : (Principal) () -> principal;
                    case "getUserProperties" -> userProperties;
                    case "getAsyncRemote" -> remote;
                    case "getMaxIdleTimeout" -> 0L;
                    case "isOpen" -> !userProperties.containsKey(CLOSED_WITH);
                    case "close" -> {
                        userProperties.put(CLOSED_WITH, args == null ? null : args[0]);
                        yield null;
                    }
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    case "toString" -> "FakeSession[" + id + "]";
                    default -> null;
                });
    }
}
