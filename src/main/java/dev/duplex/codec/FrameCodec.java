package dev.duplex.codec;

import dev.duplex.config.DuplexConfig;
import dev.duplex.message.ClientFrame;
import dev.duplex.message.ServerFrame;
import dev.duplex.message.ErrorCode;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;
import jakarta.json.bind.annotation.JsonbSubtype;
import jakarta.json.bind.annotation.JsonbTypeInfo;
import jakarta.json.spi.JsonProvider;
import jakarta.json.stream.JsonParser;
import jakarta.json.stream.JsonParsingException;
import java.io.StringReader;
import java.lang.reflect.RecordComponent;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Turns wire text into frames and frames into wire text, with JSON-B doing the binding.
 *
 * <p>Decoding never throws: anything that is not a valid client frame comes back as
 * {@link ClientFrame.Rejected} with the error code to report. Before binding, the text is checked
 * with JSON-P so that malformed JSON, a missing or unknown {@code type} and fields of the wrong JSON
 * type are each told apart (JSON-B alone would coerce {@code 5} into {@code "5"} or report all of
 * them as one exception).
 */
public final class FrameCodec {

    private static final Jsonb JSONB = JsonbBuilder.create();
    /**
     * Resolved once: {@code Json.createParser} looks the provider up through {@code ServiceLoader} and
     * the context class loader on every call, which on Payara searches every jar of the runtime.
     */
    private static final JsonProvider JSON = JsonProvider.provider();
    private static final Map<String, Class<? extends ClientFrame>> CLIENT_TYPES = readClientTypes();

    private FrameCodec() {
    }

    /** The JSON text of a server frame, {@code type} first. Encode once, send to many. */
    public static String encode(ServerFrame frame) {
        // The runtime type must drive serialisation: toJson(frame, ServerFrame.class) writes "{}".
        return JSONB.toJson(frame);
    }

    /** The JSON text of any plain object (HTTP API bodies). */
    public static String toJson(Object value) {
        return JSONB.toJson(value);
    }

    /** The {@code type} values clients may send. */
    public static Set<String> clientTypes() {
        return CLIENT_TYPES.keySet();
    }

    /**
     * The code of the {@link ClientFrame.Rejected} for a frame over
     * {@link DuplexConfig#MAX_FRAME_BYTES}: not sent as an error frame, the session is closed with
     * 1009. Most containers enforce the limit themselves; some (Undertow, Open Liberty) do not.
     */
    public static final String FRAME_TOO_BIG = "frame-too-big";

    /** Decodes one text frame; never throws. */
    public static ClientFrame decode(String text) {
        if (isOverFrameLimit(text)) {
            return new ClientFrame.Rejected(FRAME_TOO_BIG, "frame larger than 64 KiB");
        }
        JsonObject object;
        try {
            object = parseObject(text);
        } catch (Invalid invalid) {
            return invalid.rejected;
        }
        JsonValue type = object.get("type");
        if (type == null || type.getValueType() != JsonValue.ValueType.STRING) {
            return rejected(ErrorCode.BAD_FRAME, "every frame needs a string field \"type\"");
        }
        String typeName = ((JsonString) type).getString();
        Class<? extends ClientFrame> frameClass = CLIENT_TYPES.get(typeName);
        if (frameClass == null) {
            return rejected(ErrorCode.UNKNOWN_TYPE, "unknown frame type \"" + shorten(typeName) + "\"");
        }
        String wrongField = firstMistypedField(object, frameClass);
        if (wrongField != null) {
            return rejected(ErrorCode.BAD_FRAME, wrongField);
        }
        String nonUnicode = firstNonUnicodeString(object);
        if (nonUnicode != null) {
            return rejected(ErrorCode.BAD_FRAME, nonUnicode);
        }
        try {
            return JSONB.fromJson(text, ClientFrame.class);
        } catch (RuntimeException e) {
            // JsonbException for shapes it cannot bind, NumberFormatException for numbers it cannot.
            return rejected(ErrorCode.BAD_FRAME, "frame \"" + typeName + "\" could not be read");
        }
    }

    /**
     * Parses text that must be one JSON object.
     *
     * @throws Invalid carrying the error to report
     */
    public static JsonObject parseObject(String text) throws Invalid {
        JsonValue value;
        try (JsonParser parser = JSON.createParser(new StringReader(text))) {
            if (!parser.hasNext()) {
                throw new Invalid(rejected(ErrorCode.BAD_JSON, "not valid JSON: empty frame"));
            }
            parser.next();
            value = parser.getValue();
            // A reader stops after the first value; "{...} trailing" must not pass as valid.
            if (parser.hasNext()) {
                throw new Invalid(rejected(ErrorCode.BAD_JSON, "not valid JSON: content after the value"));
            }
        } catch (JsonParsingException e) {
            throw new Invalid(rejected(ErrorCode.BAD_JSON, "not valid JSON: " + shorten(e.getMessage())));
        } catch (NumberFormatException | UnsupportedOperationException e) {
            // Valid JSON syntax, but a number no reader holds (1e9999999999, thousands of digits).
            throw new Invalid(rejected(ErrorCode.BAD_FRAME, "a number is too large to read"));
        } catch (RuntimeException e) {
            // Parsson reports nesting past its depth limit this way.
            throw new Invalid(rejected(ErrorCode.BAD_JSON, "not valid JSON: nested too deeply"));
        }
        if (value.getValueType() != JsonValue.ValueType.OBJECT) {
            throw new Invalid(rejected(ErrorCode.BAD_FRAME, "a frame must be a JSON object"));
        }
        return value.asJsonObject();
    }

    /** Input that is not a JSON object, with the rejection to report for it. */
    public static final class Invalid extends Exception {
        private final transient ClientFrame.Rejected rejected;

        Invalid(ClientFrame.Rejected rejected) {
            super(rejected.message(), null, false, false);
            this.rejected = rejected;
        }

        public ClientFrame.Rejected rejected() {
            return rejected;
        }
    }

    private static String firstMistypedField(JsonObject object, Class<? extends ClientFrame> frameClass) {
        for (RecordComponent component : frameClass.getRecordComponents()) {
            JsonValue value = object.get(component.getName());
            if (value == null || value.getValueType() == JsonValue.ValueType.NULL) {
                continue; // absence is judged by the service, which knows which fields are required
            }
            if (component.getType() == String.class && value.getValueType() != JsonValue.ValueType.STRING) {
                return "field \"" + component.getName() + "\" must be a string";
            }
            if (component.getType() == Integer.class && !isInt(value)) {
                return "field \"" + component.getName() + "\" must be a whole number";
            }
        }
        return null;
    }

    /**
     * JSON may escape half a surrogate pair ({@code "\\ud800"}), which is no Unicode text: it can be
     * neither stored nor sent as UTF-8. Returns why the frame is refused, or null.
     */
    private static String firstNonUnicodeString(JsonObject object) {
        for (var entry : object.entrySet()) {
            if (!isUnicode(entry.getKey())) {
                return "a field name is not valid Unicode (unpaired surrogate)";
            }
            JsonValue value = entry.getValue();
            if (value.getValueType() == JsonValue.ValueType.STRING && !isUnicode(((JsonString) value).getString())) {
                return "field \"" + shorten(entry.getKey()) + "\" is not valid Unicode (unpaired surrogate)";
            }
        }
        return null;
    }

    /** True when {@code text} takes more than {@link DuplexConfig#MAX_FRAME_BYTES} as UTF-8. */
    static boolean isOverFrameLimit(String text) {
        // A char is at most 3 UTF-8 bytes (a pair is 4 for 2 chars), so short texts need no count.
        return text.length() > DuplexConfig.MAX_FRAME_BYTES / 3 && utf8Length(text) > DuplexConfig.MAX_FRAME_BYTES;
    }

    /** The UTF-8 size of {@code text}; unpaired surrogates count 3, as their replacement would. */
    public static int utf8Length(String text) {
        int bytes = 0;
        for (int i = 0, n = text.length(); i < n; i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    /** True when every surrogate in {@code text} is half of a pair. */
    public static boolean isUnicode(String text) {
        for (int i = 0, n = text.length(); i < n; i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isInt(JsonValue value) {
        if (value.getValueType() != JsonValue.ValueType.NUMBER) {
            return false;
        }
        try {
            ((jakarta.json.JsonNumber) value).bigDecimalValue().intValueExact();
            return true;
        } catch (ArithmeticException | NumberFormatException e) {
            return false; // fractional, beyond int, or an exponent no BigDecimal holds
        }
    }

    private static ClientFrame.Rejected rejected(ErrorCode code, String message) {
        return new ClientFrame.Rejected(code.wire(), message);
    }

    private static String shorten(String text) {
        if (text == null) {
            return "";
        }
        if (text.codePointCount(0, text.length()) <= 80) {
            return text;
        }
        // Cut between code points: half a surrogate pair in an error message would be unsendable.
        return text.substring(0, text.offsetByCodePoints(0, 80)) + "…";
    }

    private static Map<String, Class<? extends ClientFrame>> readClientTypes() {
        Map<String, Class<? extends ClientFrame>> types = new HashMap<>();
        for (JsonbSubtype subtype : ClientFrame.class.getAnnotation(JsonbTypeInfo.class).value()) {
            types.put(subtype.alias(), subtype.type().asSubclass(ClientFrame.class));
        }
        return Collections.unmodifiableMap(types);
    }
}
