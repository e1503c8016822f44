// duplex.js — a dependency-free ES module client for the Duplex chat server.
//
//   import { DuplexClient } from '/duplex.js';
//   const client = new DuplexClient({ name: 'alice', room: 'lobby' });
//   client.on('message', (m) => console.log(m.room, m.from, m.text));
//   client.connect();
//   const { id } = await client.send('hi');          // resolves on the server's ack
//
// The wire protocol is docs/PROTOCOL.md. Everything the server sends is data: render it with
// textContent, never as HTML. Pure helpers are exported too (close-code explanations, back-off,
// URL building, frame decoding) so pages and tests can use them without a socket.

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

// ---------------------------------------------------------------------------
// Close codes (docs/PROTOCOL.md, "Close codes")

/**
 * Every close code a Duplex client can see: a short name, a plain-language explanation, and
 * whether reconnecting can help.
 */
export const CLOSE_CODES = Object.freeze({
  1000: {
    name: 'Normal closure',
    text: 'The connection was closed normally.',
    reconnect: false,
  },
  1001: {
    name: 'Going away',
    text: 'The server is shutting down or being redeployed. It should be back in a moment.',
    reconnect: true,
  },
  1002: {
    name: 'Protocol error',
    text: 'This client broke the WebSocket framing rules, so the server closed the connection.',
    reconnect: false,
  },
  1006: {
    name: 'Connection lost',
    text: 'The connection dropped without a goodbye: the network failed, the server stopped abruptly, '
      + 'or it refused the connection (for example a page from another site, or no common sub-protocol).',
    reconnect: true,
  },
  1007: {
    name: 'Invalid text',
    text: 'This client sent text that was not valid UTF-8, so the server closed the connection.',
    reconnect: false,
  },
  1008: {
    name: 'Policy violation',
    text: 'The server closed the connection because something broke one of its rules.',
    reconnect: false,
  },
  1009: {
    name: 'Message too big',
    text: 'A frame was larger than the server accepts (64 KiB), so it closed the connection. Keep messages shorter.',
    reconnect: false,
  },
  1011: {
    name: 'Server error',
    text: 'The server hit an unexpected error and closed the connection.',
    reconnect: true,
  },
  4001: {
    name: 'Invalid name or room',
    text: 'The name or room was not accepted: a name is 1–32 characters without control characters, '
      + 'a room is 1–32 of a–z, 0–9 and “-”. Fix it and connect again.',
    reconnect: false,
  },
  4002: {
    name: 'No common sub-protocol',
    text: 'The server and this client share no sub-protocol. Offer superchat and/or chat.',
    reconnect: false,
  },
  4003: {
    name: 'Too slow',
    text: 'This client fell behind: messages arrived faster than it read them, so the server let it go. '
      + 'Reconnecting catches up.',
    reconnect: true,
  },
  4008: {
    name: 'No heartbeat',
    text: 'The server heard nothing from this client for too long (the connection was probably dead). '
      + 'Reconnecting catches up.',
    reconnect: true,
  },
  4009: {
    name: 'Too many connections',
    text: 'This address already has as many connections as the server allows. Close other tabs or clients, then connect again.',
    reconnect: false,
  },
  4029: {
    name: 'Rate limit exceeded',
    text: 'This client kept sending faster than the server allows after being told to slow down. '
      + 'It will reconnect after a pause.',
    reconnect: true,
  },
});

/** Shortest wait before reconnecting after these codes (the server asked for a pause). */
export const MIN_RECONNECT_DELAY = Object.freeze({ 4029: 5000 });

/** Short name of a close code, e.g. "Going away". */
export function closeCodeName(code) {
  const known = CLOSE_CODES[code];
  if (known) return known.name;
  if (code >= 1000 && code <= 2999) return 'Protocol code';
  if (code >= 3000 && code <= 3999) return 'Library code';
  if (code >= 4000 && code <= 4999) return 'Application code';
  return 'Unknown code';
}

/** Plain-language explanation of a WebSocket close code. */
export function explainCloseCode(code) {
  const known = CLOSE_CODES[code];
  if (known) return known.text;
  if (code === 1005) return 'The connection closed without a status code.';
  if (code >= 1000 && code <= 2999) {
    return `Code ${code} is reserved for the WebSocket protocol itself; the connection ended at the protocol level.`;
  }
  if (code >= 3000 && code <= 3999) {
    return `Code ${code} is in the range for libraries and frameworks; the server software ended the connection.`;
  }
  if (code >= 4000 && code <= 4999) {
    return `Code ${code} is an application code this client does not know; the chat server ended the connection for its own reason.`;
  }
  return `Code ${code} is not a valid WebSocket close code.`;
}

/**
 * Whether a client should reconnect after a close. Never after the user closed, never after
 * codes that would fail again unchanged (1000 from the server, 1007, 1008, 1009, 4001, 4002), and
 * not after a 1006 on the very first attempt (the handshake itself was refused: retrying the
 * same thing cannot help). Everything else (1001, 1006 once connected, 1011, 4003, …) reconnects.
 */
export function shouldReconnect(code, { userInitiated = false, everConnected = true } = {}) {
  if (userInitiated) return false;
  const known = CLOSE_CODES[code];
  if (known) {
    if (code === 1006 && !everConnected) return false;
    return known.reconnect;
  }
  if (code === 1002 || code === 1003) return false;
  return true;
}

/** Everything a page needs to tell the user about a close. */
export function explainClose(code, reason = '') {
  return { code, reason, name: closeCodeName(code), explanation: explainCloseCode(code) };
}

/**
 * Delay before reconnect attempt `attempt` (0-based): exponential back-off with "equal jitter".
 * The ceiling grows initialDelay·factor^attempt up to maxDelay; the delay is the ceiling's
 * (1 - jitter) share plus a random part of the rest, so clients that dropped together spread out
 * and none retries instantly.
 */
export function backoffDelay(attempt, options = {}, random = Math.random) {
  const { initialDelay = 500, maxDelay = 10000, factor = 2, jitter = 0.5 } = options;
  const ceiling = Math.min(maxDelay, initialDelay * factor ** Math.max(0, attempt));
  const j = Math.min(1, Math.max(0, jitter));
  return Math.round(ceiling * (1 - j) + ceiling * j * random());
}

// ---------------------------------------------------------------------------
// Validation, URLs, ids

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

/** The endpoint next to this module: where the WAR that serves duplex.js has its /chat socket. */
export function defaultEndpoint() {
  try {
    return new URL('chat', import.meta.url).href;
  } catch {
    return 'ws://localhost:8080/chat';
  }
}

/**
 * WebSocket URL for the endpoint with the handshake query. `base` is the endpoint's URL (http(s)
 * or ws(s)), or a page URL / location whose sibling `chat` is the endpoint when `relative` is set.
 */
export function buildSocketUrl(base, { name, room, since } = {}, { relative = false } = {}) {
  const href = typeof base === 'string' ? base : base.href;
  const url = relative ? new URL('chat', href) : new URL(href);
  if (url.protocol === 'https:') url.protocol = 'wss:';
  else if (url.protocol === 'http:') url.protocol = 'ws:';
  url.hash = '';
  const params = new URLSearchParams();
  if (name !== undefined) params.set('name', name);
  if (room !== undefined && room !== null && room !== '') params.set('room', room);
  if (since) params.set('since', since);
  // URLSearchParams writes spaces as '+'; %20 is unambiguous for every server.
  url.search = params.toString().replace(/\+/g, '%20');
  return url.href;
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

// ---------------------------------------------------------------------------
// Frames

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

/** Error for a refused send, join, history…: `code` is a protocol error code or a client one. */
export class DuplexError extends Error {
  constructor(code, message, details = {}) {
    super(message);
    this.name = 'DuplexError';
    this.code = code;
    Object.assign(this, details);
  }
}

// ---------------------------------------------------------------------------
// The client

const READY_OPEN = 1;
const READY_CONNECTING = 0;

/** The real clock. Wrapped, because browsers refuse a `setTimeout` called on another object. */
const SYSTEM_TIMERS = Object.freeze({
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (id) => globalThis.clearTimeout(id),
  now: () => Date.now(),
});

/**
 * A Duplex connection that survives drops.
 *
 * States: `idle` → `connecting` → `open` ⇄ `reconnecting` → … → `closed` (after close() or a
 * close that reconnecting cannot fix). Events (use `on(type, fn)`, which passes the detail, or
 * `addEventListener`, where it is `event.detail`):
 *
 * | event | detail |
 * |---|---|
 * | `state` | `{ state, previous, delay? }` |
 * | `welcome` | the welcome frame plus `resumed` |
 * | `ready` | `{ protocol, resumed }` — caught up (resume replay done), queued sends flushed |
 * | `message` | message frame plus `own`, `ref` (when it answers this client's send), `replayed`, `history` |
 * | `notice`, `typing`, `presence` | the frame |
 * | `direct` | direct frame plus `own`, `ref`; the sender's own session gets one built from the ack |
 * | `joined`, `left` | `{ room, members? }` |
 * | `history` | `{ room, messages }` |
 * | `error` | `{ code, message, ref?, room?, handled }` — handled: a promise was rejected with it |
 * | `close` | `{ code, reason, name, explanation, wasClean, userInitiated, willReconnect, delay? }` |
 * | `raw` | `{ text }` — a text frame that is not a Duplex frame |
 */
export class DuplexClient extends EventTarget {
  /**
   * @param {object} options
   * @param {string} options.name           who you are (1–32 characters)
   * @param {string} [options.room='lobby'] the room to connect into
   * @param {string[]} [options.rooms]      more rooms to join once connected (superchat)
   * @param {string[]} [options.protocols]  sub-protocols in order of preference
   * @param {string} [options.url]          the endpoint; default: `chat` next to this module
   * @param {Object<string,string>} [options.since] last message id seen per room, to resume
   * @param {object|false} [options.reconnect] `{ initialDelay, maxDelay, factor, jitter }` or false
   * @param {number} [options.pingInterval=25000] heartbeat period (0: none)
   * @param {number} [options.pongTimeout=10000]  a heartbeat unanswered this long drops the connection
   * @param {number} [options.connectTimeout=15000] a handshake without welcome this long is dropped
   * @param {number} [options.maxQueue=200] sends that may wait while offline
   * @param {Function} [options.WebSocket]  WebSocket implementation (default: the global one)
   * @param {object} [options.timers]       `{ setTimeout, clearTimeout, now }` behind every wait the
   *   client makes (default: the global ones and Date.now). A testing seam: a fake clock lets tests
   *   move time on explicitly instead of racing real timers.
   */
  constructor(options = {}) {
    super();
    if (!options.name && options.name !== '') throw new TypeError('DuplexClient needs a name');
    this.options = {
      room: 'lobby',
      protocols: PROTOCOLS,
      pingInterval: 25000,
      pongTimeout: 10000,
      connectTimeout: 15000,
      maxQueue: 200,
      ...options,
      reconnect: options.reconnect === false ? false : { initialDelay: 500, maxDelay: 10000, factor: 2, jitter: 0.5, ...(options.reconnect || {}) },
    };
    this.url = options.url || defaultEndpoint();
    this._clock = { ...SYSTEM_TIMERS, ...(options.timers || {}) };
    this.name = String(options.name);
    this.protocol = '';
    this.limits = { ...DEFAULT_LIMITS };
    this.state = 'idle';
    this.attempt = 0;
    this.everConnected = false;
    this.lastClose = null;

    /** room → { wanted, joined, members, lastId, replay } */
    this._rooms = new Map();
    this._wantRoom(this.options.room);
    for (const room of this.options.rooms || []) this._wantRoom(room);
    for (const [room, id] of Object.entries(this.options.since || {})) {
      if (this._rooms.has(room) && id) this._rooms.get(room).lastId = String(id);
    }
    this._handshakeRoom = this.options.room;

    this._ws = null;
    this._socketId = 0;
    this._frames = Promise.resolve();
    this._refSeq = 0;
    this._outbox = [];           // sends not yet written to the current socket, in order
    this._inflight = new Map();  // ref → send written, awaiting ack/echo/error
    this._pongWaiters = [];      // one callback per ping sent, answered in order
    this._joinWaiters = new Map();
    this._leaveWaiters = new Map();
    this._historyWaiters = new Map();
    this._ownReplayed = [];      // own messages seen while catching up, to settle sends cut off by a drop
    this._seenNotices = new Set();
    this._seenDirects = new Set();
    this._timers = { reconnect: null, ping: null, pong: null, connect: null, pump: null };
    this._wire = [];             // frames paced to stay within the server's rate limit
    this._tokens = 0;
    this._tokenAt = 0;
    this._synced = false;
    this._userClosed = false;
    this._onOnline = () => this.retryNow();
  }

  /** Subscribes to an event; the handler gets the detail. Returns an unsubscribe function. */
  on(type, handler) {
    const listener = (event) => handler(event.detail, event);
    this.addEventListener(type, listener);
    return () => this.removeEventListener(type, listener);
  }

  /** The current WebSocket (or null), for diagnostics. */
  get socket() {
    return this._ws;
  }

  /** Rooms this client is in (or will rejoin on reconnect). */
  get rooms() {
    return [...this._rooms.entries()].filter(([, r]) => r.wanted).map(([name]) => name);
  }

  /** Members of a room as last told by the server (superchat). */
  members(room) {
    return [...(this._rooms.get(room)?.members || [])];
  }

  /** Last message id seen in a room: what `since` will be on the next reconnect. */
  lastId(room) {
    return this._rooms.get(room)?.lastId ?? null;
  }

  /** Sends that are waiting to be written (offline queue). */
  get queued() {
    return this._outbox.length;
  }

  get superchat() {
    return this.protocol === 'superchat';
  }

  /** Opens the connection (no-op unless idle or closed). */
  connect() {
    if (this.state !== 'idle' && this.state !== 'closed') return this;
    this._userClosed = false;
    this.attempt = 0;
    if (typeof globalThis.addEventListener === 'function') globalThis.addEventListener('online', this._onOnline);
    this._open();
    return this;
  }

  /** Closes for good (code 1000): no reconnect; waiting sends are rejected. */
  close(reason = 'Client disconnected') {
    if (this.state === 'closed' || this.state === 'idle') return;
    this._userClosed = true;
    this._clearTimers();
    const ws = this._ws;
    if (ws && (ws.readyState === READY_OPEN || ws.readyState === READY_CONNECTING)) {
      ws.close(1000, reason);
    } else {
      this._finish({ code: 1000, reason, wasClean: true });
    }
  }

  /** Skips the back-off wait when reconnecting (e.g. the network is back). */
  retryNow() {
    if (this.state !== 'reconnecting') return;
    this._clock.clearTimeout(this._timers.reconnect);
    this._open();
  }

  /**
   * Posts `text` to a room (default: the connection's room). Resolves with `{ id, ref, room, text }`
   * once the server acknowledged it (`chat`: once its own copy came back); rejects with a
   * DuplexError for an error frame about it. While offline the send waits in a queue.
   */
  send(text, { room } = {}) {
    const target = room || this._handshakeRoom;
    return this._enqueue({ kind: 'message', room: target, text: String(text ?? '') });
  }

  /** Sends a direct message (superchat). Resolves on ack with `{ id, ref, to, text }`. */
  direct(to, text) {
    return this._enqueue({ kind: 'direct', to: String(to ?? ''), text: String(text ?? '') });
  }

  /** Joins a room (superchat); resolves with `{ room, members }`. Rejoined after reconnects. */
  join(room, { since } = {}) {
    if (validateRoom(room)) return Promise.reject(new DuplexError('invalid-room', validateRoom(room), { room }));
    if (this.protocol === 'chat') return Promise.reject(new DuplexError('unsupported', 'Only superchat can join rooms.', { room }));
    const entry = this._rooms.get(room);
    if (entry && entry.wanted && entry.joined) return Promise.resolve({ room, members: [...entry.members] });
    const r = this._wantRoom(room);
    if (since) r.lastId = since;
    const waiter = this._waiter(this._joinWaiters, room);
    if (this._synced && this._isOpen()) this._sendJoin(room);
    return waiter;
  }

  /** Leaves a room (superchat); resolves once the server confirmed. */
  leave(room) {
    const entry = this._rooms.get(room);
    if (!entry || !entry.wanted) return Promise.reject(new DuplexError('not-joined', `not in room ${room}`, { room }));
    entry.wanted = false;
    if (!this._isOpen() || !entry.joined) {
      entry.joined = false;
      return Promise.resolve({ room });
    }
    const waiter = this._waiter(this._leaveWaiters, room);
    this._write({ type: 'leave', room });
    return waiter;
  }

  /** Tells the room this user is typing (superchat), at most limits.typingPerSecond a second. */
  typing(room = this._handshakeRoom) {
    if (!this.superchat || !this._isOpen() || !this._rooms.get(room)?.joined) return false;
    const now = this._clock.now();
    this._typingAt = this._typingAt || new Map();
    const gap = 1000 / Math.max(1, this.limits.typingPerSecond || 3);
    if (now - (this._typingAt.get(room) || 0) < gap) return false;
    this._typingAt.set(room, now);
    return this._write({ type: 'typing', room });
  }

  /** Fetches stored messages (superchat), oldest first; `before` an id for older pages. */
  history(room, { before, limit } = {}) {
    if (!this.superchat || !this._isOpen()) {
      return Promise.reject(new DuplexError('offline', 'History needs an open superchat connection.', { room }));
    }
    const frame = { type: 'history', room };
    if (before) frame.before = before;
    if (limit) frame.limit = limit;
    const list = this._historyWaiters.get(room) || [];
    this._historyWaiters.set(room, list);
    return new Promise((resolve, reject) => {
      list.push({ resolve, reject });
      this._write(frame);
    });
  }

  /** Pings the server; resolves with the round trip in milliseconds. */
  ping() {
    if (!this._isOpen()) return Promise.reject(new DuplexError('offline', 'Not connected.'));
    const started = this._clock.now();
    return new Promise((resolve, reject) => this._ping((ok) => {
      if (ok) resolve(this._clock.now() - started);
      else reject(new DuplexError('offline', 'The connection closed before the pong.'));
    }));
  }

  // -------------------------------------------------------------------------
  // internals

  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  _setState(state, extra = {}) {
    if (this.state === state && !extra.delay) return;
    const previous = this.state;
    this.state = state;
    this._emit('state', { state, previous, ...extra });
  }

  _wantRoom(room) {
    let r = this._rooms.get(room);
    if (!r) {
      r = { wanted: true, joined: false, members: [], lastId: null, replay: null };
      this._rooms.set(room, r);
    }
    r.wanted = true;
    return r;
  }

  _waiter(map, key) {
    const list = map.get(key) || [];
    map.set(key, list);
    return new Promise((resolve, reject) => list.push({ resolve, reject }));
  }

  _settle(map, key, ok, value) {
    const list = map.get(key);
    if (!list || list.length === 0) return false;
    const waiters = list.splice(0);
    for (const w of waiters) (ok ? w.resolve : w.reject)(value);
    return true;
  }

  _isOpen() {
    return this._ws !== null && this._ws.readyState === READY_OPEN && this.protocol !== '';
  }

  _open() {
    this._clearTimers();
    const Impl = this.options.WebSocket || globalThis.WebSocket;
    // After a reconnect, the handshake room is the first room still wanted (the original one
    // unless it was left), with `since` so the server replays exactly what was missed.
    const wanted = this.rooms;
    if (wanted.length > 0 && !wanted.includes(this._handshakeRoom)) this._handshakeRoom = wanted[0];
    const room = this._handshakeRoom;
    const since = this._rooms.get(room)?.lastId || undefined;
    const url = buildSocketUrl(this.url, { name: this.name, room, since });
    this.protocol = '';
    this._synced = false;
    this._setState('connecting');
    let ws;
    try {
      ws = new Impl(url, [...this.options.protocols]);
    } catch (err) {
      this._emit('error', { code: 'connect-failed', message: String(err && err.message ? err.message : err), handled: false });
      this._finish({ code: 1006, reason: '', wasClean: false });
      return;
    }
    const id = ++this._socketId;
    this._ws = ws;
    this._frames = Promise.resolve();
    this._ownReplayed = [];
    this._wire = [];
    this._tokens = Number.POSITIVE_INFINITY;
    this._tokenAt = this._clock.now();
    for (const r of this._rooms.values()) {
      r.joined = false;
      r.replay = null;
    }
    const mine = () => this._socketId === id && this._ws === ws;
    ws.onmessage = (event) => {
      if (!mine()) return;
      // Blob frames decode asynchronously; chaining keeps frames in arrival order.
      this._frames = this._frames
        .then(() => readFrame(event.data))
        .then((result) => { if (mine()) this._onFrame(result); })
        .catch((err) => this._emit('error', { code: 'client', message: String(err && err.stack ? err.stack : err), handled: false }));
    };
    ws.onclose = (event) => {
      if (!mine()) return;
      const info = { code: event.code, reason: event.reason || '', wasClean: event.wasClean };
      // Let frames still being decoded land before the close.
      this._frames.finally(() => { if (mine()) this._finish(info); });
    };
    ws.onerror = () => { /* a close event always follows */ };
    if (this.options.connectTimeout > 0) {
      this._timers.connect = this._clock.setTimeout(() => {
        if (mine() && !this._synced) this._abandon(1006, 'no welcome from the server in time');
      }, this.options.connectTimeout);
    }
  }

  /** Gives up on the current socket without waiting for a closing handshake. */
  _abandon(code, reason) {
    const ws = this._ws;
    if (!ws) return;
    this._socketId++;
    try { ws.close(); } catch { /* already closing */ }
    this._finish({ code, reason, wasClean: false }, true);
  }

  _finish({ code, reason, wasClean }, abandoned = false) {
    this._clearTimers();
    if (!abandoned) this._socketId++;
    this._ws = null;
    this._synced = false;
    const userInitiated = this._userClosed;
    const canRetry = this.options.reconnect !== false
      && shouldReconnect(code, { userInitiated, everConnected: this.everConnected });

    // Sends written to the socket but not yet answered: resumable ones (room messages on
    // superchat) are settled against the replay after reconnecting, or written again; the others
    // cannot be told apart from delivered ones and are rejected.
    const cut = [...this._inflight.values()];
    this._inflight.clear();
    for (const item of cut) {
      if (item.echoed) {
        // Its own copy came back, so it is stored; only the ack was lost.
        item.resolve({ id: item.echoed, ref: item.ref, room: item.room, text: item.text });
      } else if (canRetry && item.kind === 'message' && this.protocol === 'superchat') {
        item.cutOff = true;
      } else {
        item.reject(new DuplexError('unconfirmed', 'The connection dropped before the server confirmed this; it may or may not have been delivered.', { ref: item.ref, room: item.room }));
        item.done = true;
      }
    }
    const resend = cut.filter((i) => !i.done);
    this._outbox = [...resend, ...this._outbox];
    for (const w of this._pongWaiters.splice(0)) w(false);
    for (const map of [this._historyWaiters]) {
      for (const [key] of map) this._settle(map, key, false, new DuplexError('offline', 'The connection closed.', { room: key }));
    }
    for (const r of this._rooms.values()) { r.joined = false; r.replay = null; }

    const info = { ...explainClose(code, reason), wasClean: !!wasClean, userInitiated, willReconnect: canRetry };
    this.lastClose = info;
    if (canRetry) {
      const delay = Math.max(MIN_RECONNECT_DELAY[code] || 0, backoffDelay(this.attempt, this.options.reconnect));
      this.attempt += 1;
      info.delay = delay;
      info.attempt = this.attempt;
      this._emit('close', info);
      this._setState('reconnecting', { delay, attempt: this.attempt, retryAt: this._clock.now() + delay });
      this._timers.reconnect = this._clock.setTimeout(() => this._open(), delay);
      return;
    }
    this._emit('close', info);
    const why = new DuplexError('closed', `The connection closed (${code} ${info.name}).`, { closeCode: code });
    for (const item of this._outbox.splice(0)) item.reject(why);
    for (const map of [this._joinWaiters, this._leaveWaiters]) {
      for (const [key] of map) this._settle(map, key, false, why);
    }
    if (typeof globalThis.removeEventListener === 'function') globalThis.removeEventListener('online', this._onOnline);
    this._setState('closed');
  }

  _clearTimers() {
    for (const key of Object.keys(this._timers)) {
      this._clock.clearTimeout(this._timers[key]);
      this._timers[key] = null;
    }
  }

  _write(frame) {
    return this._writeRaw(JSON.stringify(frame));
  }

  _writeRaw(json) {
    const ws = this._ws;
    if (!ws || ws.readyState !== READY_OPEN) return false;
    this._wire.push(json);
    this._pump();
    return true;
  }

  /**
   * Writes waiting frames, paced by a token bucket a little inside the server's rate limit
   * (limits.messagesPerSecond / messageBurst), so a burst such as the offline queue flushing
   * after a reconnect is never refused with `rate-limited`.
   */
  _pump() {
    this._clock.clearTimeout(this._timers.pump);
    this._timers.pump = null;
    const ws = this._ws;
    const rate = Number(this.limits.messagesPerSecond) || 0;
    const burst = Number(this.limits.messageBurst) || 0;
    const paced = rate > 0 && burst > 0;
    const capacity = Math.max(1, Math.floor(burst * 0.75));
    const refill = rate * 0.8;
    while (this._wire.length > 0 && ws && ws.readyState === READY_OPEN) {
      if (paced) {
        const now = this._clock.now();
        this._tokens = Math.min(capacity, this._tokens + ((now - this._tokenAt) / 1000) * refill);
        this._tokenAt = now;
        if (this._tokens < 1) {
          this._timers.pump = this._clock.setTimeout(() => this._pump(), Math.ceil(((1 - this._tokens) / refill) * 1000));
          return;
        }
        this._tokens -= 1;
      }
      ws.send(this._wire.shift());
    }
  }

  _ping(callback) {
    const ws = this._ws;
    if (!ws || ws.readyState !== READY_OPEN) {
      callback(false);
      return;
    }
    this._pongWaiters.push(callback);
    this._write({ type: 'ping' });
  }

  _sendJoin(room) {
    const r = this._rooms.get(room);
    const frame = { type: 'join', room };
    if (r && r.lastId) frame.since = r.lastId;
    this._write(frame);
    // The pong to a ping written after the join arrives after the join's replay: then the room
    // is caught up.
    this._ping((ok) => { if (ok && r) r.replay = null; });
  }

  _startHeartbeat() {
    const every = this.options.pingInterval;
    if (!(every > 0)) return;
    // A timeout re-armed after every beat, as setInterval re-arms, because the injected clock
    // has no setInterval.
    const beat = () => {
      if (this._isOpen()) {
        let answered = false;
        this._ping((ok) => { if (ok) { answered = true; this._clock.clearTimeout(this._timers.pong); } });
        this._clock.clearTimeout(this._timers.pong);
        this._timers.pong = this._clock.setTimeout(() => {
          if (!answered) this._abandon(1006, 'the server stopped answering');
        }, this.options.pongTimeout);
      }
      this._timers.ping = this._clock.setTimeout(beat, every);
    };
    this._timers.ping = this._clock.setTimeout(beat, every);
  }

  _enqueue(item) {
    if (this.state === 'closed' || this.state === 'idle') {
      return Promise.reject(new DuplexError('closed', 'Not connected: call connect() first.'));
    }
    const problem = this._check(item);
    if (problem) return Promise.reject(problem);
    if (this._outbox.length >= this.options.maxQueue) {
      return Promise.reject(new DuplexError('queue-full', `At most ${this.options.maxQueue} messages can wait while offline.`));
    }
    item.ref = `c-${++this._refSeq}`;
    const promise = new Promise((resolve, reject) => {
      item.resolve = (v) => { item.done = true; resolve(v); };
      item.reject = (e) => { item.done = true; reject(e); };
    });
    this._outbox.push(item);
    if (this._synced) this._flush();
    // The label this send carries on the wire: `message` and `direct` events that answer it have
    // the same `ref`, so a page can swap its "sending…" placeholder for the real thing.
    promise.ref = item.ref;
    return promise;
  }

  _check(item) {
    if (item.text.trim() === '') return new DuplexError('blank-text', 'Messages must not be empty.', { room: item.room });
    if (textLength(item.text) > this.limits.maxTextChars) {
      return new DuplexError('too-long', `Messages can be at most ${this.limits.maxTextChars} characters.`, { room: item.room });
    }
    if (item.kind === 'direct' && this.protocol === 'chat') {
      return new DuplexError('unsupported', 'Direct messages need the superchat sub-protocol.');
    }
    if (item.kind === 'message' && this.protocol === 'chat' && item.room !== this._handshakeRoom) {
      return new DuplexError('not-joined', `A chat session can only post to #${this._handshakeRoom}.`, { room: item.room });
    }
    if (item.kind === 'message' && !this._rooms.get(item.room)?.wanted) {
      return new DuplexError('not-joined', `Not in room ${item.room}: join it first.`, { room: item.room });
    }
    return null;
  }

  _flush() {
    while (this._outbox.length > 0 && this._isOpen()) {
      const item = this._outbox.shift();
      if (item.done) continue;
      const problem = this._check(item);
      if (problem) { item.reject(problem); continue; }
      let frame;
      if (item.kind === 'direct') frame = { type: 'direct', to: item.to, text: item.text, ref: item.ref };
      else frame = { type: 'message', room: item.room, text: item.text, ref: item.ref };
      const json = JSON.stringify(frame);
      if (new TextEncoder().encode(json).length > this.limits.maxFrameBytes) {
        item.reject(new DuplexError('too-big', `The frame would exceed ${this.limits.maxFrameBytes} bytes.`, { ref: item.ref, room: item.room }));
        continue;
      }
      this._inflight.set(item.ref, item);
      this._writeRaw(json);
    }
  }

  /** Once caught up after (re)connecting: settle sends a drop cut off, then send the queue. */
  _onSynced(resumed) {
    this._synced = true;
    this._clock.clearTimeout(this._timers.connect);
    const seen = this._ownReplayed.splice(0);
    this._outbox = this._outbox.filter((item) => {
      if (!item.cutOff) return true;
      const at = seen.findIndex((m) => m.room === item.room && m.text === item.text);
      if (at < 0) return true; // not stored before the drop: send it again
      const [m] = seen.splice(at, 1);
      item.resolve({ id: m.id, ref: item.ref, room: item.room, text: item.text });
      return false;
    });
    for (const item of this._outbox) item.cutOff = false;
    this._setState('open');
    this._flush();
    this._startHeartbeat();
    this._emit('ready', { protocol: this.protocol, resumed });
  }

  _onFrame(result) {
    if (!result.ok) {
      if (typeof result.text === 'string' && result.text !== '' && result.error.includes('not valid JSON')) {
        this._emit('raw', { text: result.text });
      } else {
        this._emit('error', { code: 'invalid-frame', message: result.error, handled: false });
      }
      return;
    }
    const f = result.frame;
    switch (f.type) {
      case 'welcome': return this._onWelcome(f);
      case 'joined': return this._onJoined(f);
      case 'left': return this._onLeft(f);
      case 'message': return this._onMessage(f);
      case 'ack': return this._onAck(f);
      case 'error': return this._onError(f);
      case 'direct': return this._onDirect(f);
      case 'presence': return this._onPresence(f);
      case 'typing': return this._emit('typing', { ...f });
      case 'history': return this._onHistory(f);
      case 'notice':
        if (f.id != null) {
          if (this._seenNotices.has(f.id)) return undefined;
          this._seenNotices.add(f.id);
        }
        return this._emit('notice', { ...f });
      case 'pong': {
        const waiter = this._pongWaiters.shift();
        if (waiter) waiter(true);
        return undefined;
      }
      default:
        return undefined; // newer frame types are ignored
    }
  }

  _onWelcome(f) {
    this.protocol = typeof f.protocol === 'string' && f.protocol ? f.protocol : (this._ws?.protocol || '');
    if (typeof f.name === 'string' && f.name) this.name = f.name;
    if (f.limits && typeof f.limits === 'object') this.limits = { ...DEFAULT_LIMITS, ...f.limits };
    const resumed = this.everConnected;
    this.everConnected = true;
    this.attempt = 0;
    const room = typeof f.room === 'string' && f.room ? f.room : this._handshakeRoom;
    this._handshakeRoom = room;
    const r = this._wantRoom(room);
    r.replay = this.protocol === 'chat' ? null : (r.lastId ? 'since' : 'latest');
    if (this.protocol === 'chat') {
      // One room only: the others cannot be joined on this protocol.
      r.joined = true;
      for (const [name, other] of this._rooms) {
        if (name !== room && other.wanted) {
          other.wanted = false;
          this._settle(this._joinWaiters, name, false, new DuplexError('unsupported', 'Only superchat can join rooms.', { room: name }));
        }
      }
    } else {
      for (const name of this.rooms) if (name !== room) this._sendJoin(name);
    }
    this._emit('welcome', { ...f, resumed });
    this._ping((ok) => {
      if (!ok) return;
      r.replay = null;
      this._onSynced(resumed);
    });
  }

  _onJoined(f) {
    const r = this._wantRoom(f.room);
    r.joined = true;
    r.members = Array.isArray(f.members) ? [...f.members] : [];
    if (r.replay === null) r.replay = r.lastId ? 'since' : 'latest';
    this._emit('joined', { room: f.room, members: [...r.members], resumed: r.replay === 'since' });
    this._settle(this._joinWaiters, f.room, true, { room: f.room, members: [...r.members] });
  }

  _onLeft(f) {
    const r = this._rooms.get(f.room);
    if (r) { r.joined = false; r.wanted = false; r.members = []; }
    this._emit('left', { room: f.room });
    this._settle(this._leaveWaiters, f.room, true, { room: f.room });
  }

  _onPresence(f) {
    const r = this._rooms.get(f.room);
    if (r && Array.isArray(f.members)) r.members = [...f.members];
    this._emit('presence', { ...f });
  }

  _onMessage(f) {
    const roomName = typeof f.room === 'string' && f.room ? f.room : this._handshakeRoom;
    const r = this._rooms.get(roomName);
    const id = f.id == null ? null : String(f.id);
    // Ids increase within a room: anything at or below the last one seen was already delivered.
    if (r && id !== null && r.lastId !== null && compareIds(id, r.lastId) <= 0) return;
    if (r && id !== null) r.lastId = id;
    const own = f.from === this.name;
    const detail = { ...f, room: roomName, own, replayed: !!(r && r.replay), history: !!(r && r.replay === 'latest') };
    if (own) {
      // Frames from one sender arrive in order, and the sender's copy comes before its ack:
      // the oldest unanswered send with this room and text is the one this copy answers.
      const pending = [...this._inflight.values()].find((i) => i.kind === 'message' && !i.echoed && i.room === roomName && i.text === f.text);
      if (pending) {
        pending.echoed = id;
        detail.ref = pending.ref;
        if (this.protocol === 'chat') {
          this._inflight.delete(pending.ref);
          pending.resolve({ id, ref: pending.ref, room: roomName, text: pending.text });
        }
      } else if (r && r.replay === 'since') {
        this._ownReplayed.push({ id, room: roomName, text: f.text });
      }
    }
    this._emit('message', detail);
  }

  _onAck(f) {
    const item = this._inflight.get(f.ref);
    if (!item) return;
    this._inflight.delete(f.ref);
    const id = f.id == null ? null : String(f.id);
    if (item.kind === 'direct') {
      if (id !== null) this._seenDirects.add(id);
      const echo = { type: 'direct', id, from: this.name, to: item.to, text: item.text, ts: new Date(this._clock.now()).toISOString(), own: true, ref: item.ref, local: true };
      this._emit('direct', echo);
      item.resolve({ id, ref: item.ref, to: item.to, text: item.text });
    } else {
      item.resolve({ id, ref: item.ref, room: item.room, text: item.text });
    }
  }

  _onDirect(f) {
    const id = f.id == null ? null : String(f.id);
    if (id !== null) {
      if (this._seenDirects.has(id)) return;
      this._seenDirects.add(id);
    }
    this._emit('direct', { ...f, own: f.from === this.name });
  }

  _onHistory(f) {
    const messages = Array.isArray(f.messages) ? f.messages : [];
    const list = this._historyWaiters.get(f.room);
    const waiter = list && list.shift();
    this._emit('history', { room: f.room, messages });
    if (waiter) waiter.resolve(messages);
  }

  /**
   * A frame was dropped by the server's rate limit. The error does not say which, but frames are
   * answered in order: after the pause, a ping's pong comes after the answers to everything
   * written before it, so sends still unanswered then were the dropped ones and are sent again.
   */
  _onRateLimited(f) {
    const wait = Math.max(50, Number(f.retryAfterMs) || 0);
    const suspects = [...this._inflight.values()].filter((i) => !i.echoed);
    const socket = this._socketId;
    // Slow down: the bucket starts empty again.
    this._tokens = 0;
    this._tokenAt = this._clock.now();
    this._clock.setTimeout(() => {
      if (socket !== this._socketId) return;
      this._ping((ok) => {
        if (!ok || socket !== this._socketId) return;
        const dropped = suspects.filter((i) => this._inflight.get(i.ref) === i && !i.echoed);
        for (const i of dropped) this._inflight.delete(i.ref);
        this._outbox = [...dropped, ...this._outbox];
        this._flush();
      });
    }, wait);
    return true;
  }

  _onError(f) {
    const code = typeof f.code === 'string' ? f.code : 'error';
    const message = typeof f.message === 'string' ? f.message : 'The server reported an error.';
    const details = { ref: f.ref, room: f.room };
    const err = new DuplexError(code, message, details);
    let handled = false;
    if (code === 'rate-limited') {
      handled = this._onRateLimited(f);
    } else if (f.ref != null && this._inflight.has(f.ref)) {
      const item = this._inflight.get(f.ref);
      this._inflight.delete(f.ref);
      item.reject(err);
      handled = true;
    } else if (f.ref == null && this.protocol === 'chat' && (code === 'blank-text' || code === 'too-long')) {
      // chat errors carry no ref; frames are answered in order, so it is the oldest open send.
      const oldest = [...this._inflight.values()].find((i) => !i.echoed);
      if (oldest) {
        this._inflight.delete(oldest.ref);
        oldest.reject(err);
        handled = true;
      }
    } else if (f.room && ['invalid-room', 'already-joined', 'too-many-rooms'].includes(code)) {
      if (code === 'already-joined') {
        handled = this._settle(this._joinWaiters, f.room, true, { room: f.room, members: this.members(f.room) });
      } else {
        const r = this._rooms.get(f.room);
        if (r && !r.joined) r.wanted = false;
        handled = this._settle(this._joinWaiters, f.room, false, err);
      }
    } else if (f.room && code === 'not-joined') {
      handled = this._settle(this._leaveWaiters, f.room, true, { room: f.room })
        || this._settle(this._historyWaiters, f.room, false, err);
    } else if (f.room && code === 'bad-frame') {
      handled = this._settle(this._historyWaiters, f.room, false, err);
    }
    this._emit('error', { code, message, ref: f.ref, room: f.room, handled });
  }
}
