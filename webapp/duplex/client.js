// DuplexClient: the session a page talks to. It turns the server's frames into events and
// promises; the connection itself is socket.js, room positions rooms.js, sends outbox.js.

import { DuplexError, explainClose, shouldReconnect } from './errors.js';
import {
  DEFAULT_LIMITS, PROTOCOLS, defaultEndpoint, textLength, validateRoom,
} from './protocol.js';
import { Outbox } from './outbox.js';
import { Rooms } from './rooms.js';
import { SYSTEM_TIMERS, Socket } from './socket.js';

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
   * @param {string} [options.url]          the endpoint; default: `chat` next to duplex.js
   * @param {Object<string,string>} [options.since] last message id seen per room, to resume
   * @param {object|false} [options.reconnect] `{ initialDelay, maxDelay, factor, jitter }` or false
   * @param {number} [options.pingInterval=25000] heartbeat period (0: none)
   * @param {number} [options.pongTimeout=10000]  a heartbeat unanswered this long drops the connection
   * @param {number} [options.connectTimeout=15000] a handshake without welcome this long is dropped
   * @param {number} [options.maxQueue=200] sends that may wait while offline
   * @param {Function} [options.WebSocket]  WebSocket implementation (default: the global one)
   * @param {Function} [options.transport]  transport class (default: the WebSocket one; the shape
   *   any transport has is described in duplex/transport-websocket.js)
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
    this.everConnected = false;
    this.lastClose = null;

    this._rooms = new Rooms(this.options.room, this.options.rooms || [], this.options.since || {});
    this._outbox = new Outbox(this.options.maxQueue);
    this._socket = new Socket(this.options, this._clock, () => this.limits, {
      frame: (result) => this._onFrame(result),
      closed: (info) => this._finish(info),
      failed: (err) => this._emit('error', { code: 'client', message: String(err && err.stack ? err.stack : err), handled: false }),
      handshakeTimedOut: () => { if (!this._synced) this._abandon(1006, 'no welcome from the server in time'); },
      silent: () => this._abandon(1006, 'the server stopped answering'),
      reopen: () => this._open(),
    });
    this._seenNotices = new Set();
    this._typingAt = new Map();
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
    return this._socket.transport ? this._socket.transport.socket : null;
  }

  /** Reconnect attempts since the last welcome. */
  get attempt() {
    return this._socket.attempt;
  }

  /** Rooms this client is in (or will rejoin on reconnect). */
  get rooms() {
    return this._rooms.wanted;
  }

  /** Members of a room as last told by the server (superchat). */
  members(room) {
    return this._rooms.members(room);
  }

  /** Last message id seen in a room: what `since` will be on the next reconnect. */
  lastId(room) {
    return this._rooms.lastId(room);
  }

  /** Sends that are waiting to be written (offline queue). */
  get queued() {
    return this._outbox.queued;
  }

  get superchat() {
    return this.protocol === 'superchat';
  }

  /** Opens the connection (no-op unless idle or closed). */
  connect() {
    if (this.state !== 'idle' && this.state !== 'closed') return this;
    this._userClosed = false;
    this._socket.attempt = 0;
    if (typeof globalThis.addEventListener === 'function') globalThis.addEventListener('online', this._onOnline);
    this._open();
    return this;
  }

  /** Closes for good (code 1000): no reconnect; waiting sends are rejected. */
  close(reason = 'Client disconnected') {
    if (this.state === 'closed' || this.state === 'idle') return;
    this._userClosed = true;
    this._socket.stop();
    if (!this._socket.close(1000, reason)) this._finish({ code: 1000, reason, wasClean: true });
  }

  /** Skips the back-off wait when reconnecting (e.g. the network is back). */
  retryNow() {
    if (this.state !== 'reconnecting') return;
    this._socket.cancelReconnect();
    this._open();
  }

  /**
   * Posts `text` to a room (default: the connection's room). Resolves with `{ id, ref, room, text }`
   * once the server acknowledged it (`chat`: once its own copy came back); rejects with a
   * DuplexError for an error frame about it. While offline the send waits in a queue.
   */
  send(text, { room } = {}) {
    const target = room || this._rooms.handshakeRoom;
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
    const r = this._rooms.want(room);
    if (since) r.lastId = since;
    const waiter = this._rooms.joins.wait(room);
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
    const waiter = this._rooms.leaves.wait(room);
    this._socket.write({ type: 'leave', room });
    return waiter;
  }

  /** Tells the room this user is typing (superchat), at most limits.typingPerSecond a second. */
  typing(room = this._rooms.handshakeRoom) {
    if (!this.superchat || !this._isOpen() || !this._rooms.get(room)?.joined) return false;
    const now = this._clock.now();
    const gap = 1000 / Math.max(1, this.limits.typingPerSecond || 3);
    if (now - (this._typingAt.get(room) || 0) < gap) return false;
    this._typingAt.set(room, now);
    return this._socket.write({ type: 'typing', room });
  }

  /** Fetches stored messages (superchat), oldest first; `before` an id for older pages. */
  history(room, { before, limit } = {}) {
    if (!this.superchat || !this._isOpen()) {
      return Promise.reject(new DuplexError('offline', 'History needs an open superchat connection.', { room }));
    }
    const frame = { type: 'history', room };
    if (before) frame.before = before;
    if (limit) frame.limit = limit;
    const waiter = this._rooms.histories.wait(room);
    this._socket.write(frame);
    return waiter;
  }

  /** Pings the server; resolves with the round trip in milliseconds. */
  ping() {
    if (!this._isOpen()) return Promise.reject(new DuplexError('offline', 'Not connected.'));
    const started = this._clock.now();
    return new Promise((resolve, reject) => this._socket.ping((ok) => {
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

  _isOpen() {
    return this._socket.isOpen && this.protocol !== '';
  }

  _open() {
    this._socket.stop();
    const query = { name: this.name, ...this._rooms.handshake() };
    this.protocol = '';
    this._synced = false;
    this._setState('connecting');
    try {
      this._socket.open(this.url, query);
    } catch (err) {
      this._emit('error', { code: 'connect-failed', message: String(err && err.message ? err.message : err), handled: false });
      this._finish({ code: 1006, reason: '', wasClean: false });
      return;
    }
    this._outbox.reset();
    this._rooms.reset();
  }

  /** Gives up on the current connection without waiting for a closing handshake. */
  _abandon(code, reason) {
    if (this._socket.abandon()) this._finish({ code, reason, wasClean: false });
  }

  _finish({ code, reason, wasClean }) {
    this._socket.detach();
    this._synced = false;
    const userInitiated = this._userClosed;
    const canRetry = this.options.reconnect !== false
      && shouldReconnect(code, { userInitiated, everConnected: this.everConnected });
    this._outbox.cut(canRetry && this.protocol === 'superchat');
    this._rooms.histories.rejectAll((room) => new DuplexError('offline', 'The connection closed.', { room }));
    this._rooms.reset();

    const info = { ...explainClose(code, reason), wasClean: !!wasClean, userInitiated, willReconnect: canRetry };
    this.lastClose = info;
    if (canRetry) {
      const { delay, attempt } = this._socket.backOff(code);
      info.delay = delay;
      info.attempt = attempt;
      this._emit('close', info);
      this._setState('reconnecting', { delay, attempt, retryAt: this._clock.now() + delay });
      this._socket.reconnectIn(delay);
      return;
    }
    this._emit('close', info);
    const why = new DuplexError('closed', `The connection closed (${code} ${info.name}).`, { closeCode: code });
    this._outbox.rejectQueued(why);
    this._rooms.joins.rejectAll(() => why);
    this._rooms.leaves.rejectAll(() => why);
    if (typeof globalThis.removeEventListener === 'function') globalThis.removeEventListener('online', this._onOnline);
    this._setState('closed');
  }

  _sendJoin(room) {
    const r = this._rooms.get(room);
    const frame = { type: 'join', room };
    if (r && r.lastId) frame.since = r.lastId;
    this._socket.write(frame);
    // The pong to a ping written after the join arrives after the join's replay: then the room
    // is caught up.
    this._socket.ping((ok) => { if (ok && r) r.replay = null; });
  }

  _enqueue(item) {
    if (this.state === 'closed' || this.state === 'idle') {
      return Promise.reject(new DuplexError('closed', 'Not connected: call connect() first.'));
    }
    const problem = this._check(item);
    if (problem) return Promise.reject(problem);
    const promise = this._outbox.add(item);
    if (this._synced) this._flush();
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
    if (item.kind === 'message' && this.protocol === 'chat' && item.room !== this._rooms.handshakeRoom) {
      return new DuplexError('not-joined', `A chat session can only post to #${this._rooms.handshakeRoom}.`, { room: item.room });
    }
    if (item.kind === 'message' && !this._rooms.get(item.room)?.wanted) {
      return new DuplexError('not-joined', `Not in room ${item.room}: join it first.`, { room: item.room });
    }
    return null;
  }

  _flush() {
    this._outbox.flush({
      canWrite: () => this._isOpen(),
      check: (item) => this._check(item),
      maxFrameBytes: this.limits.maxFrameBytes,
      write: (json) => this._socket.writeRaw(json),
    });
  }

  /** Once caught up after (re)connecting: settle sends a drop cut off, then send the queue. */
  _onSynced(resumed) {
    this._synced = true;
    this._socket.handshakeDone();
    this._outbox.settleFromReplay();
    this._setState('open');
    this._flush();
    this._socket.startHeartbeat();
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
      default:
        return undefined; // newer frame types are ignored
    }
  }

  _onWelcome(f) {
    this.protocol = typeof f.protocol === 'string' && f.protocol ? f.protocol : this._socket.protocol;
    if (typeof f.name === 'string' && f.name) this.name = f.name;
    if (f.limits && typeof f.limits === 'object') this.limits = { ...DEFAULT_LIMITS, ...f.limits };
    const resumed = this.everConnected;
    this.everConnected = true;
    this._socket.attempt = 0;
    const room = typeof f.room === 'string' && f.room ? f.room : this._rooms.handshakeRoom;
    this._rooms.handshakeRoom = room;
    const r = this._rooms.want(room);
    r.replay = this.protocol === 'chat' ? null : (r.lastId ? 'since' : 'latest');
    if (this.protocol === 'chat') {
      // One room only: the others cannot be joined on this protocol.
      r.joined = true;
      for (const [name, other] of this._rooms.entries()) {
        if (name !== room && other.wanted) {
          other.wanted = false;
          this._rooms.joins.settle(name, false, new DuplexError('unsupported', 'Only superchat can join rooms.', { room: name }));
        }
      }
    } else {
      for (const name of this.rooms) if (name !== room) this._sendJoin(name);
    }
    this._emit('welcome', { ...f, resumed });
    this._socket.ping((ok) => {
      if (!ok) return;
      r.replay = null;
      this._onSynced(resumed);
    });
  }

  _onJoined(f) {
    const r = this._rooms.want(f.room);
    r.joined = true;
    r.members = Array.isArray(f.members) ? [...f.members] : [];
    if (r.replay === null) r.replay = r.lastId ? 'since' : 'latest';
    this._emit('joined', { room: f.room, members: [...r.members], resumed: r.replay === 'since' });
    this._rooms.joins.settle(f.room, true, { room: f.room, members: [...r.members] });
  }

  _onLeft(f) {
    const r = this._rooms.get(f.room);
    if (r) { r.joined = false; r.wanted = false; r.members = []; }
    this._emit('left', { room: f.room });
    this._rooms.leaves.settle(f.room, true, { room: f.room });
  }

  _onPresence(f) {
    const r = this._rooms.get(f.room);
    if (r && Array.isArray(f.members)) r.members = [...f.members];
    this._emit('presence', { ...f });
  }

  _onMessage(f) {
    const roomName = typeof f.room === 'string' && f.room ? f.room : this._rooms.handshakeRoom;
    const r = this._rooms.get(roomName);
    const id = f.id == null ? null : String(f.id);
    if (!this._rooms.markSeen(roomName, id)) return;
    const own = f.from === this.name;
    const detail = { ...f, room: roomName, own, replayed: !!(r && r.replay), history: !!(r && r.replay === 'latest') };
    if (own) {
      const ref = this._outbox.echo(roomName, f.text, id, { settles: this.protocol === 'chat', replaying: !!(r && r.replay === 'since') });
      if (ref) detail.ref = ref;
    }
    this._emit('message', detail);
  }

  _onAck(f) {
    const id = f.id == null ? null : String(f.id);
    const item = this._outbox.acknowledge(f.ref, id);
    if (item && item.kind === 'direct') {
      const ts = new Date(this._clock.now()).toISOString();
      this._emit('direct', { type: 'direct', id, from: this.name, to: item.to, text: item.text, ts, own: true, ref: item.ref, local: true });
    }
  }

  _onDirect(f) {
    const id = f.id == null ? null : String(f.id);
    if (id !== null && !this._outbox.firstSightOfDirect(id)) return;
    this._emit('direct', { ...f, own: f.from === this.name });
  }

  _onHistory(f) {
    const messages = Array.isArray(f.messages) ? f.messages : [];
    this._emit('history', { room: f.room, messages });
    this._rooms.histories.resolveOldest(f.room, messages);
  }

  /**
   * A frame was dropped by the server's rate limit. The error does not say which, but frames are
   * answered in order: after the pause, a ping's pong comes after the answers to everything
   * written before it, so sends still unanswered then were the dropped ones and are sent again.
   */
  _onRateLimited(f) {
    const wait = Math.max(50, Number(f.retryAfterMs) || 0);
    const suspects = this._outbox.unanswered();
    const generation = this._socket.generation;
    this._socket.slowDown();
    this._clock.setTimeout(() => {
      if (generation !== this._socket.generation) return;
      this._socket.ping((ok) => {
        if (!ok || generation !== this._socket.generation) return;
        this._outbox.requeue(suspects);
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
    const { joins, leaves, histories } = this._rooms;
    let handled = false;
    if (code === 'rate-limited') {
      handled = this._onRateLimited(f);
    } else if (f.ref != null && this._outbox.reject(f.ref, err)) {
      handled = true;
    } else if (f.ref == null && this.protocol === 'chat' && (code === 'blank-text' || code === 'too-long')) {
      // chat errors carry no ref; frames are answered in order, so it is the oldest open send.
      handled = this._outbox.rejectOldest(err);
    } else if (f.room && ['invalid-room', 'already-joined', 'too-many-rooms'].includes(code)) {
      if (code === 'already-joined') {
        handled = joins.settle(f.room, true, { room: f.room, members: this.members(f.room) });
      } else {
        const r = this._rooms.get(f.room);
        if (r && !r.joined) r.wanted = false;
        handled = joins.settle(f.room, false, err);
      }
    } else if (f.room && code === 'not-joined') {
      handled = leaves.settle(f.room, true, { room: f.room }) || histories.settle(f.room, false, err);
    } else if (f.room && code === 'bad-frame') {
      handled = histories.settle(f.room, false, err);
    }
    this._emit('error', { code, message, ref: f.ref, room: f.room, handled });
  }
}
