// A clock that only moves when a test says so, for the `timers` option of DuplexClient: the
// client's reconnect, heartbeat, handshake and pacing timers then fire in a known order, however
// busy the machine is.

import { settle } from './fake-socket.mjs';

export class FakeClock {
  constructor(start = Date.parse('2026-01-01T00:00:00Z')) {
    this._now = start;
    this._timers = new Map(); // id → { at, fn }
    this._lastId = 0;
    // Own properties, so the clock can be handed over as `timers` and its methods called detached.
    this.now = () => this._now;
    this.setTimeout = (fn, ms = 0) => {
      const id = ++this._lastId;
      this._timers.set(id, { at: this._now + Math.max(0, Number(ms) || 0), fn });
      return id;
    };
    this.clearTimeout = (id) => { this._timers.delete(id); };
  }

  /** How many timers are waiting. */
  get pending() {
    return this._timers.size;
  }

  /** Milliseconds until the next timer fires, or null when none waits. */
  get nextIn() {
    const next = this._next(Number.POSITIVE_INFINITY);
    return next ? next.at - this._now : null;
  }

  /**
   * Moves time on by `ms`, firing every timer that falls due on the way, earliest first (in the
   * order they were set when due together), each at its own time. Frame handling the client left
   * on the promise queue runs after each timer, as it would between real ones.
   */
  async advance(ms) {
    const end = this._now + ms;
    for (let next = this._next(end); next; next = this._next(end)) {
      this._timers.delete(next.id);
      this._now = next.at;
      next.fn();
      await settle();
    }
    this._now = end;
    await settle();
  }

  _next(limit) {
    let best = null;
    for (const [id, t] of this._timers) {
      // Map order is insertion order, so a strict < keeps ties in the order they were set.
      if (t.at <= limit && (!best || t.at < best.at)) best = { id, ...t };
    }
    return best;
  }
}
