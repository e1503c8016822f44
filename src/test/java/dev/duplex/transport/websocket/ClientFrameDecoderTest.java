package dev.duplex.transport.websocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.duplex.message.ClientFrame;
import org.junit.jupiter.api.Test;

class ClientFrameDecoderTest {

    @Test
    void acceptsEverythingAndNeverThrows() {
        ClientFrameDecoder decoder = new ClientFrameDecoder();
        assertTrue(decoder.willDecode("garbage"));
        assertEquals("bad-json", assertInstanceOf(ClientFrame.Rejected.class, decoder.decode("garbage")).code());
    }
}
