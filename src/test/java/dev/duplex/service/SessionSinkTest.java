package dev.duplex.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.websocket.RemoteEndpoint;
import jakarta.websocket.SendHandler;
import jakarta.websocket.SendResult;
import jakarta.websocket.Session;
import java.io.IOException;
import java.io.StringWriter;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SessionSinkTest {

    /** A session that records streamed frames and holds asynchronous sends until completed. */
    private static final class RecordingSession {
        final List<String> streamed = new ArrayList<>();
        final List<String> sentAsync = new ArrayList<>();
        final List<SendHandler> pending = new ArrayList<>();
        boolean writerFails;

        final Session session = (Session) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {Session.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "getBasicRemote" -> basic();
                    case "getAsyncRemote" -> async();
                    case "isOpen" -> true;
                    default -> null;
                });

        private RemoteEndpoint.Basic basic() {
            return (RemoteEndpoint.Basic) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {RemoteEndpoint.Basic.class}, (proxy, method, args) -> {
                        if (!method.getName().equals("getSendWriter")) {
                            throw new AssertionError("streaming uses only the send writer, not " + method.getName());
                        }
                        return new StringWriter() {
                            @Override
                            public void close() throws IOException {
                                if (writerFails) {
                                    throw new IOException("connection reset");
                                }
                                streamed.add(toString());
                            }
                        };
                    });
        }

        private RemoteEndpoint.Async async() {
            return (RemoteEndpoint.Async) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {RemoteEndpoint.Async.class}, (proxy, method, args) -> {
                        if (method.getName().equals("sendText") && args.length == 2) {
                            sentAsync.add((String) args[0]);
                            pending.add((SendHandler) args[1]);
                        }
                        return null;
                    });
        }

        void complete(SendResult result) {
            pending.remove(0).onResult(result);
        }
    }

    /** Records what a send reported; null while it has not. */
    private static final class Outcome implements SendHandler {
        SendResult result;

        @Override
        public void onResult(SendResult sendResult) {
            result = sendResult;
        }
    }

    private static final String FRAME = "x".repeat(1000);

    @Test
    void streamsUntilTheFenceBudgetThenSendsOneFrameAsynchronously() {
        RecordingSession remote = new RecordingSession();
        SessionSink sink = new SessionSink(remote.session, true);
        int streamedBeforeFence = SessionSink.FENCE_CHARS / FRAME.length()
                + (SessionSink.FENCE_CHARS % FRAME.length() == 0 ? 0 : 1);
        for (int i = 0; i < streamedBeforeFence; i++) {
            Outcome outcome = new Outcome();
            sink.sendText(FRAME + i, outcome);
            assertTrue(outcome.result.isOK(), "a streamed frame reports at once");
        }
        assertEquals(streamedBeforeFence, remote.streamed.size());
        assertEquals(FRAME + 0, remote.streamed.get(0), "exactly the frame's text, once");
        assertTrue(remote.sentAsync.isEmpty());

        Outcome fence = new Outcome();
        sink.sendText("fence", fence);
        assertEquals(List.of("fence"), remote.sentAsync, "past the budget the next frame is a fence");
        assertNull(fence.result, "the fence reports only when the container has written it");

        remote.complete(new SendResult());
        assertTrue(fence.result.isOK());
        Outcome after = new Outcome();
        sink.sendText("after", after);
        assertEquals("after", remote.streamed.get(remote.streamed.size() - 1), "a completed fence resets the budget");
        assertTrue(after.result.isOK());
    }

    @Test
    void aFailedFenceKeepsTheBudgetSpentAndReportsTheFailure() {
        RecordingSession remote = new RecordingSession();
        SessionSink sink = new SessionSink(remote.session, true);
        sink.sendText("y".repeat(SessionSink.FENCE_CHARS), new Outcome());
        Outcome fence = new Outcome();
        sink.sendText("fence", fence);
        remote.complete(new SendResult(new IOException("broken pipe")));
        assertFalse(fence.result.isOK());
        sink.sendText("next", new Outcome());
        assertEquals(List.of("fence", "next"), remote.sentAsync, "nothing streams past an unconfirmed budget");
    }

    @Test
    void aWriterFailureIsReportedNotThrown() {
        RecordingSession remote = new RecordingSession();
        remote.writerFails = true;
        Outcome outcome = new Outcome();
        new SessionSink(remote.session, true).sendText("hello", outcome);
        assertFalse(outcome.result.isOK());
        assertEquals("connection reset", outcome.result.getException().getMessage());
    }

    @Test
    void withoutStreamingEveryFrameIsAsynchronous() {
        RecordingSession remote = new RecordingSession();
        SessionSink sink = new SessionSink(remote.session, false);
        Outcome first = new Outcome();
        sink.sendText("one", first);
        assertNull(first.result);
        remote.complete(new SendResult());
        sink.sendText("two", new Outcome());
        assertEquals(List.of("one", "two"), remote.sentAsync);
        assertTrue(remote.streamed.isEmpty());
    }

    @Test
    void onlyTyrusSessionsCountAsNonBlockingStreams() {
        assertFalse(SessionSink.streamsWithoutBlocking(new RecordingSession().session));
    }
}
