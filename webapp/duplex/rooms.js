// The rooms a client is in: for each, where it is in the room's messages (the `since` a
// reconnect resumes from), whether a replay is under way, its members, and the joins, leaves and
// history requests waiting for the server's answer.

import { compareIds } from './protocol.js';

/** Promises waiting for the server's answer about something (a room), per key, oldest first. */
export class Waiters {
  constructor() {
    this._byKey = new Map();
  }

  wait(key) {
    const list = this._byKey.get(key) || [];
    this._byKey.set(key, list);
    return new Promise((resolve, reject) => list.push({ resolve, reject }));
  }

  /** Resolves the oldest waiter for `key` with `value`. */
  resolveOldest(key, value) {
    const list = this._byKey.get(key);
    const waiter = list && list.shift();
    if (waiter) waiter.resolve(value);
  }

  /** Settles every waiter for `key`; false when there was none. */
  settle(key, ok, value) {
    const list = this._byKey.get(key);
    if (!list || list.length === 0) return false;
    const waiters = list.splice(0);
    for (const w of waiters) (ok ? w.resolve : w.reject)(value);
    return true;
  }

  /** Rejects every waiter, with `errorFor(key)`. */
  rejectAll(errorFor) {
    for (const [key] of this._byKey) this.settle(key, false, errorFor(key));
  }
}

/**
 * Room state, `room → { wanted, joined, members, lastId, replay }`: `wanted` the user is in it
 * (rejoined after reconnects), `joined` on this connection, `lastId` the last message id seen,
 * `replay` null or what the server is sending to catch up: 'since' (what was missed) or
 * 'latest' (recent history on a first join).
 */
export class Rooms {
  /** `since`: last message id seen per room, to resume from. */
  constructor(room, others = [], since = {}) {
    this._rooms = new Map();
    this.want(room);
    for (const name of others) this.want(name);
    for (const [name, id] of Object.entries(since)) {
      if (this._rooms.has(name) && id) this._rooms.get(name).lastId = String(id);
    }
    /** The room named in the handshake: a chat session's only room. */
    this.handshakeRoom = room;
    this.joins = new Waiters();
    this.leaves = new Waiters();
    this.histories = new Waiters();
  }

  get(room) {
    return this._rooms.get(room);
  }

  entries() {
    return this._rooms.entries();
  }

  /** Marks a room as wanted, creating it if new. */
  want(room) {
    let r = this._rooms.get(room);
    if (!r) {
      r = { wanted: true, joined: false, members: [], lastId: null, replay: null };
      this._rooms.set(room, r);
    }
    r.wanted = true;
    return r;
  }

  /** Names of the rooms the user is in (or will rejoin on reconnect). */
  get wanted() {
    return [...this._rooms.entries()].filter(([, r]) => r.wanted).map(([name]) => name);
  }

  members(room) {
    return [...(this._rooms.get(room)?.members || [])];
  }

  lastId(room) {
    return this._rooms.get(room)?.lastId ?? null;
  }

  /**
   * The handshake of a (re)connect: the first room still wanted (the original one unless it was
   * left), with `since` so the server replays exactly what was missed.
   */
  handshake() {
    const wanted = this.wanted;
    if (wanted.length > 0 && !wanted.includes(this.handshakeRoom)) this.handshakeRoom = wanted[0];
    const room = this.handshakeRoom;
    return { room, since: this._rooms.get(room)?.lastId || undefined };
  }

  /** A connection began or ended: nothing is joined or being replayed on it. */
  reset() {
    for (const r of this._rooms.values()) {
      r.joined = false;
      r.replay = null;
    }
  }

  /**
   * Moves a room's position to message `id`. False when the message was delivered before: ids
   * increase within a room, so anything at or below the last one seen is a repeat.
   */
  markSeen(room, id) {
    const r = this._rooms.get(room);
    if (r && id !== null && r.lastId !== null && compareIds(id, r.lastId) <= 0) return false;
    if (r && id !== null) r.lastId = id;
    return true;
  }
}
