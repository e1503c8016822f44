// The wire protocol's vocabulary (docs/PROTOCOL.md): sub-protocols, limits, the rules for names
// and rooms, message ids, and turning what arrives into frames without ever throwing.

export const PROTOCOLS = Object.freeze(['superchat', 'chat']);
export const ROOM_PATTERN = /^[a-z0-9-]{1,32}$/;
export const DEFAULT_LIMITS = Object.freeze({
  maxTextChars: 4000,
  maxFrameBytes: 65536,
  maxRoomsPerSession: 20,
  historyOnJoin: 50,
  historyPageMax: 200,
  typingPerSecond: 3,
  messagesPerSecond: 20,
  messageBurst: 40,
});

/** Returns an error message, or '' when the name is acceptable (docs/PROTOCOL.md, "Connecting"). */
export function validateName(raw) {
  const name = String(raw ?? '').trim();
  const length = [...name].length;
  if (length === 0) return 'Please enter a name.';
  if (length > 32) return 'The name can be at most 32 characters.';
  if (/\p{Cc}/u.test(name)) return 'The name must not contain control characters.';
  return '';
}

/** Returns an error message, or '' when the room is acceptable. */
export function validateRoom(raw) {
  const room = String(raw ?? '').trim();
  if (!ROOM_PATTERN.test(room)) return 'Room: 1–32 characters, a–z, 0–9 and “-” only.';
  return '';
}

/** Sub-protocol list to offer: the chosen one first, the others after it. */
export function protocolsFor(chosen) {
  const first = PROTOCOLS.includes(chosen) ? chosen : PROTOCOLS[0];
  return [first, ...PROTOCOLS.filter((p) => p !== first)];
}

/**
 * The endpoint the WAR that serves duplex.js has next to it (`chat`, docs/PROTOCOL.md,
 * "Connecting"). This module is one folder below duplex.js, hence `../chat`; resolving against
 * the module rather than the page keeps it right under any context root.
 */
export function defaultEndpoint() {
  try {
    return new URL('../chat', import.meta.url).href;
  } catch {
    return 'ws://localhost:8080/chat';
  }
}

/** Orders two message ids: they increase in plain string order within a room. */
export function compareIds(a, b) {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** Length in Unicode code points, as the server counts it. */
export function textLength(text) {
  return [...String(text)].length;
}

/** Parses one text frame. Never throws: { ok: true, frame } or { ok: false, error, text }. */
export function parseFrame(text) {
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, error: 'The server sent a frame that is not valid JSON.', text };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, error: 'The server sent a frame that is not a JSON object.', text };
  }
  if (typeof value.type !== 'string') {
    return { ok: false, error: 'The server sent a frame without a "type".', text };
  }
  return { ok: true, frame: value };
}

/**
 * Turns MessageEvent.data into text, as the study notes' page does: a string is used as is, a
 * Blob (the browser's default for binary frames) or an ArrayBuffer / typed array is decoded as
 * UTF-8.
 */
export async function decodeData(data) {
  if (typeof data === 'string') return data;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return decoder.decode(data);
  // Duck-typed so a Blob from another realm (iframe, test DOM) works too.
  if (data && typeof data.arrayBuffer === 'function') return decoder.decode(await data.arrayBuffer());
  if (data && typeof data.text === 'function') return data.text();
  throw new TypeError('Unsupported frame data.');
}

/** Decodes and parses MessageEvent.data. Never rejects. */
export async function readFrame(data) {
  let text;
  try {
    text = await decodeData(data);
  } catch {
    return { ok: false, error: 'The server sent a binary frame that is not valid UTF-8 text.', text: '' };
  }
  return parseFrame(text);
}

/** Local time of an ISO-8601 timestamp in the user's locale, or '' if it cannot be parsed. */
export function formatTime(ts, locales, options = { hour: '2-digit', minute: '2-digit' }) {
  if (typeof ts !== 'string' || ts === '') return '';
  const date = new Date(ts);
  if (Number.isNaN(date.getTime())) return '';
  return date.toLocaleTimeString(locales, options);
}
