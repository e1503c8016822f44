package dev.duplex.transport.websocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.duplex.connection.OutboundFrame;
import dev.duplex.connection.Transport;
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

class WebSocketTransportTest {

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

    /** Records what a write reported. */
    private static final class Outcome implements Transport.Completion {
        boolean done;
        Throwable failure;

        @Override
        public void completed(Throwable writeFailure) {
            assertFalse(done, "a write completes once");
            done = true;
            failure = writeFailure;
        }

        boolean ok() {
            return done && failure == null;
        }
    }

    private static void send(WebSocketTransport transport, String text, Outcome outcome) {
        transport.write(List.of(OutboundFrame.of(text)), outcome);
    }

    private static final String FRAME = "x".repeat(1000);

    @Test
    void streamingSendsEveryFrameOfABatchThroughTheSendWriterAndCompletesAtOnce() {
        RecordingSession remote = new RecordingSession();
        WebSocketTransport sink = WebSocketTransport.streaming(remote.session);
        Outcome outcome = new Outcome();
        sink.write(List.of(OutboundFrame.of(FRAME + 0), OutboundFrame.of(FRAME + 1), OutboundFrame.of("x")), outcome);
        assertTrue(outcome.ok(), "the send writer only queues: a streamed batch reports at once");
        assertEquals(List.of(FRAME + 0, FRAME + 1, "x"), remote.streamed, "exactly each frame's text, once, in order");
        assertTrue(remote.sentAsync.isEmpty());
    }

    @Test
    void aKeepAliveCarriesItsSequenceAndOnlyOurPongsAnswerOne() {
        java.nio.ByteBuffer ours = java.nio.ByteBuffer.allocate(10).putShort((short) 0x6478).putLong(42).flip();
        assertEquals(42, WebSocketTransport.keepAliveSequence(ours));
        assertEquals(-1, WebSocketTransport.keepAliveSequence(java.nio.ByteBuffer.wrap("duplex".getBytes())));
        assertEquals(-1, WebSocketTransport.keepAliveSequence(java.nio.ByteBuffer.allocate(0)));
        assertEquals(-1, WebSocketTransport.keepAliveSequence(null));
    }

    @Test
    void onlyTyrusCompletionsNeedAnAnswerToCountAsWritten() {
        WebSocketTransport elsewhere = WebSocketTransport.async(new RecordingSession().session);
        assertTrue(elsewhere.completionMeansWritten());
        assertEquals(0, elsewhere.kernelBufferBytes());
    }

    @Test
    void aWriterFailureIsReportedNotThrown() {
        RecordingSession remote = new RecordingSession();
        remote.writerFails = true;
        Outcome outcome = new Outcome();
        send(WebSocketTransport.streaming(remote.session), "hello", outcome);
        assertTrue(outcome.done);
        assertEquals("connection reset", outcome.failure.getMessage());
    }

    @Test
    void withoutStreamingEveryFrameIsAsynchronous() {
        RecordingSession remote = new RecordingSession();
        WebSocketTransport sink = WebSocketTransport.async(remote.session);
        Outcome first = new Outcome();
        send(sink, "one", first);
        assertFalse(first.done);
        remote.complete(new SendResult());
        send(sink, "two", new Outcome());
        assertEquals(List.of("one", "two"), remote.sentAsync);
        assertTrue(remote.streamed.isEmpty());
    }

    @Test
    void aBatchIsSentFrameByFrameInOrderAndCompletesOnceAfterTheLast() {
        RecordingSession remote = new RecordingSession();
        WebSocketTransport transport = WebSocketTransport.async(remote.session);
        Outcome outcome = new Outcome();
        transport.write(List.of(OutboundFrame.of("a"), OutboundFrame.of("b"), OutboundFrame.of("c")), outcome);
        assertEquals(List.of("a"), remote.sentAsync, "one send at a time");
        remote.complete(new SendResult());
        remote.complete(new SendResult());
        assertFalse(outcome.done);
        remote.complete(new SendResult());
        assertEquals(List.of("a", "b", "c"), remote.sentAsync);
        assertTrue(outcome.ok());
    }

    @Test
    void aFailureInsideABatchEndsIt() {
        RecordingSession remote = new RecordingSession();
        WebSocketTransport transport = WebSocketTransport.async(remote.session);
        Outcome outcome = new Outcome();
        transport.write(List.of(OutboundFrame.of("a"), OutboundFrame.of("b")), outcome);
        remote.complete(new SendResult(new IOException("broken pipe")));
        assertTrue(outcome.done && outcome.failure != null);
        assertEquals(List.of("a"), remote.sentAsync, "nothing after a failed send");
    }

    @Test
    void onlyTyrusSessionsCountAsNonBlockingStreams() {
        assertFalse(WebSocketTransport.streamsWithoutBlocking(new RecordingSession().session));
    }
}
