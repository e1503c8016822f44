// The connection underneath a DuplexClient: one transport at a time, its frames decoded in order,
// writes paced inside the server's rate limit, a heartbeat, the handshake timeout, and the
// reconnect timer with back-off and jitter. What the frames mean is client.js's business.

import { MIN_RECONNECT_DELAY } from './errors.js';
import { readFrame } from './protocol.js';
import { WebSocketTransport } from './transport-websocket.js';

/** The real clock. Wrapped, because browsers refuse a `setTimeout` called on another object. */
export const SYSTEM_TIMERS = Object.freeze({
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (id) => globalThis.clearTimeout(id),
  now: () => Date.now(),
});

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

export class Socket {
  /**
   * @param {object} options  the client's options (timeouts, heartbeat, reconnect, transport…)
   * @param {object} clock    `{ setTimeout, clearTimeout, now }`
   * @param {Function} limits returns the server's current limits, for pacing
   * @param {object} on       what the client does when: `frame(result)` a frame other than a pong
   *   arrived; `closed(info)` the transport closed; `failed(err)` handling a frame threw;
   *   `handshakeTimedOut()`; `silent()` a heartbeat went unanswered; `reopen()` time to reconnect
   */
  constructor(options, clock, limits, on) {
    this._options = options;
    this._clock = clock;
    this._limits = limits;
    this._on = on;
    this.transport = null;
    /** Changes whenever a transport is opened or let go: late events of an old one are ignored. */
    this.generation = 0;
    this.attempt = 0;
    this._frames = Promise.resolve();
    this._pongWaiters = []; // one callback per ping sent, answered in order
    this._wire = [];        // frames paced to stay within the server's rate limit
    this._tokens = 0;
    this._tokenAt = 0;
    this._timers = { reconnect: null, ping: null, pong: null, connect: null, pump: null };
  }

  get isOpen() {
    return this.transport !== null && this.transport.isOpen;
  }

  /** The sub-protocol the transport negotiated, '' until known. */
  get protocol() {
    return this.transport ? this.transport.protocol : '';
  }

  /** Opens a transport for the handshake `query`; throws when it cannot even start. */
  open(endpoint, query) {
    const Transport = this._options.transport || WebSocketTransport;
    const transport = new Transport(endpoint, query, this._options);
    const id = ++this.generation;
    this.transport = transport;
    this._frames = Promise.resolve();
    this._wire = [];
    this._tokens = Number.POSITIVE_INFINITY;
    this._tokenAt = this._clock.now();
    const mine = () => this.generation === id;
    transport.onmessage = (data) => {
      if (!mine()) return;
      // Blob frames decode asynchronously; chaining keeps frames in arrival order.
      this._frames = this._frames
        .then(() => readFrame(data))
        .then((result) => { if (mine()) this._deliver(result); })
        .catch((err) => this._on.failed(err));
    };
    transport.onclose = (info) => {
      if (!mine()) return;
      // Let frames still being decoded land before the close.
      this._frames.finally(() => { if (mine()) this._on.closed(info); });
    };
    if (this._options.connectTimeout > 0) {
      this._timers.connect = this._clock.setTimeout(() => this._on.handshakeTimedOut(), this._options.connectTimeout);
    }
  }

  /** The handshake is over: the timeout that guarded it is not needed any more. */
  handshakeDone() {
    this._clock.clearTimeout(this._timers.connect);
  }

  /**
   * Lets go of the transport without closing it: its timers stop, its late events are ignored
   * and pings waiting for a pong fail. Returns the transport it let go, or null.
   */
  detach() {
    this.stop();
    this.generation++;
    const transport = this.transport;
    this.transport = null;
    for (const waiter of this._pongWaiters.splice(0)) waiter(false);
    return transport;
  }

  /** Lets go of the transport and closes it without waiting for a closing handshake. */
  abandon() {
    if (!this.transport) return false;
    const transport = this.detach();
    try { transport.close(); } catch { /* already closing */ }
    return true;
  }

  /** Asks a live transport to close (its onclose follows); false when there is none to ask. */
  close(code, reason) {
    const transport = this.transport;
    if (!transport || transport.isClosed) return false;
    transport.close(code, reason);
    return true;
  }

  /** Stops every timer. */
  stop() {
    for (const key of Object.keys(this._timers)) {
      this._clock.clearTimeout(this._timers[key]);
      this._timers[key] = null;
    }
  }

  // ---- reconnecting ----------------------------------------------------------

  /**
   * Counts a reconnect attempt after a close with `code` and returns `{ delay, attempt }`: the
   * wait before it (back-off with jitter, never shorter than the pause some codes ask for).
   */
  backOff(code) {
    const delay = Math.max(MIN_RECONNECT_DELAY[code] || 0, backoffDelay(this.attempt, this._options.reconnect));
    this.attempt += 1;
    return { delay, attempt: this.attempt };
  }

  reconnectIn(delay) {
    this._timers.reconnect = this._clock.setTimeout(() => this._on.reopen(), delay);
  }

  cancelReconnect() {
    this._clock.clearTimeout(this._timers.reconnect);
  }

  // ---- writing ---------------------------------------------------------------

  write(frame) {
    return this.writeRaw(JSON.stringify(frame));
  }

  writeRaw(json) {
    if (!this.isOpen) return false;
    this._wire.push(json);
    this._pump();
    return true;
  }

  /** After a `rate-limited` error: the bucket starts empty again. */
  slowDown() {
    this._tokens = 0;
    this._tokenAt = this._clock.now();
  }

  /**
   * Writes waiting frames, paced by a token bucket a little inside the server's rate limit
   * (limits.messagesPerSecond / messageBurst), so a burst such as the offline queue flushing
   * after a reconnect is never refused with `rate-limited`.
   */
  _pump() {
    this._clock.clearTimeout(this._timers.pump);
    this._timers.pump = null;
    const transport = this.transport;
    const limits = this._limits();
    const rate = Number(limits.messagesPerSecond) || 0;
    const burst = Number(limits.messageBurst) || 0;
    const paced = rate > 0 && burst > 0;
    const capacity = Math.max(1, Math.floor(burst * 0.75));
    const refill = rate * 0.8;
    while (this._wire.length > 0 && transport && transport.isOpen) {
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
      transport.send(this._wire.shift());
    }
  }

  // ---- liveness --------------------------------------------------------------

  /** Writes a ping; `callback(true)` on its pong, `callback(false)` if the transport goes first. */
  ping(callback) {
    if (!this.isOpen) {
      callback(false);
      return;
    }
    this._pongWaiters.push(callback);
    this.write({ type: 'ping' });
  }

  startHeartbeat() {
    const every = this._options.pingInterval;
    if (!(every > 0)) return;
    // A timeout re-armed after every beat, as setInterval re-arms, because the injected clock
    // has no setInterval.
    const beat = () => {
      if (this.isOpen) {
        let answered = false;
        this.ping((ok) => { if (ok) { answered = true; this._clock.clearTimeout(this._timers.pong); } });
        this._clock.clearTimeout(this._timers.pong);
        this._timers.pong = this._clock.setTimeout(() => {
          if (!answered) this._on.silent();
        }, this._options.pongTimeout);
      }
      this._timers.ping = this._clock.setTimeout(beat, every);
    };
    this._timers.ping = this._clock.setTimeout(beat, every);
  }

  _deliver(result) {
    if (result.ok && result.frame.type === 'pong') {
      const waiter = this._pongWaiters.shift();
      if (waiter) waiter(true);
      return;
    }
    this._on.frame(result);
  }
}
