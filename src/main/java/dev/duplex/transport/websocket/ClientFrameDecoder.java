package dev.duplex.transport.websocket;

import dev.duplex.codec.FrameCodec;
import dev.duplex.message.ClientFrame;
import jakarta.websocket.Decoder;

/**
 * The endpoint's text decoder. It accepts every text frame and lets {@link FrameCodec} turn bad
 * input into {@link ClientFrame.Rejected}, because servers differ in what they do after a
 * {@code DecodeException} and the protocol promises that bad input never closes the session.
 */
public final class ClientFrameDecoder implements Decoder.Text<ClientFrame> {

    @Override
    public ClientFrame decode(String text) {
        return FrameCodec.decode(text);
    }

    @Override
    public boolean willDecode(String text) {
        return true;
    }
}
