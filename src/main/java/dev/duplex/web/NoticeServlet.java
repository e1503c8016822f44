package dev.duplex.web;

import dev.duplex.codec.FrameCodec;
import dev.duplex.message.ClientFrame;
import dev.duplex.message.ServerFrame;
import dev.duplex.message.ErrorCode;
import dev.duplex.app.Duplex;
import dev.duplex.app.DuplexLocator;
import dev.duplex.service.TextRules;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * {@code POST /api/notices}: an operator pushes a notice to every session
 * (docs/PROTOCOL.md, "Operator notices"). A plain servlet so it runs on every container.
 */
@WebServlet(urlPatterns = "/api/notices")
public class NoticeServlet extends HttpServlet {

    private static final int MAX_BODY_BYTES = 64 * 1024;
    private static final String BEARER = "Bearer ";

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Duplex duplex = DuplexLocator.current();
        Optional<String> token = duplex.config().adminToken();
        if (token.isEmpty()) {
            reply(response, HttpServletResponse.SC_FORBIDDEN, new ApiError("notices-disabled",
                    "operator notices are disabled: set DUPLEX_ADMIN_TOKEN (or -Dduplex.admin.token) and restart"));
            return;
        }
        if (!authorized(request.getHeader("Authorization"), token.get())) {
            response.setHeader("WWW-Authenticate", "Bearer realm=\"duplex\"");
            reply(response, HttpServletResponse.SC_UNAUTHORIZED,
                    new ApiError("unauthorized", "missing or wrong bearer token"));
            return;
        }
        byte[] body;
        try (InputStream in = request.getInputStream()) {
            body = in.readNBytes(MAX_BODY_BYTES + 1);
        }
        if (body.length > MAX_BODY_BYTES) {
            reply(response, HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE,
                    new ApiError(ErrorCode.TOO_LONG.wire(), "request body is larger than 64 KiB"));
            return;
        }
        JsonObject json;
        try {
            json = FrameCodec.parseObject(new String(body, StandardCharsets.UTF_8));
        } catch (FrameCodec.Invalid invalid) {
            ClientFrame.Rejected rejected = invalid.rejected();
            reply(response, HttpServletResponse.SC_BAD_REQUEST, new ApiError(rejected.code(), rejected.message()));
            return;
        }
        JsonValue text = json.get("text");
        if (text != null && text.getValueType() != JsonValue.ValueType.STRING
                && text.getValueType() != JsonValue.ValueType.NULL) {
            reply(response, HttpServletResponse.SC_BAD_REQUEST,
                    new ApiError(ErrorCode.BAD_FRAME.wire(), "field \"text\" must be a string"));
            return;
        }
        String value = text instanceof JsonString string ? string.getString() : null;
        Optional<TextRules.Violation> violation = duplex.notices().check(value);
        if (violation.isPresent()) {
            reply(response, HttpServletResponse.SC_BAD_REQUEST,
                    new ApiError(violation.get().code().wire(), violation.get().message()));
            return;
        }
        ServerFrame.Notice notice;
        try {
            notice = duplex.notices().publish(value);
        } catch (dev.duplex.broker.BackplaneUnavailableException e) {
            reply(response, HttpServletResponse.SC_SERVICE_UNAVAILABLE, new ApiError(ErrorCode.UNAVAILABLE.wire(),
                    "the chat backplane is unreachable; the notice was not sent, try again shortly"));
            return;
        }
        reply(response, HttpServletResponse.SC_ACCEPTED, new Accepted(notice.id(), notice.ts().toString()));
    }

    private static boolean authorized(String header, String expected) {
        if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return false;
        }
        byte[] given = header.substring(BEARER.length()).trim().getBytes(StandardCharsets.UTF_8);
        // Constant-time, so response timing does not reveal how much of the token was right.
        return MessageDigest.isEqual(given, expected.getBytes(StandardCharsets.UTF_8));
    }

    private static void reply(HttpServletResponse response, int status, Object body) throws IOException {
        response.setStatus(status);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-store");
        response.getWriter().write(FrameCodec.toJson(body));
    }

    /** Body of a 202: the notice's id and timestamp. */
    public record Accepted(String id, String ts) {
    }

    /** Body of every refusal: a stable code and a message for people. */
    public record ApiError(String code, String message) {
    }
}
