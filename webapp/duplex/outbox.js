// Sends on their way: each gets a ref, waits in a queue while offline, is in flight once written,
// and is settled by its ack, its own copy coming back (echo) or an error about it. Sends a drop cut
// off are settled against the replay after reconnecting, so nothing is sent twice.

import { DuplexError } from './errors.js';

function frameOf(item) {
  if (item.kind === 'direct') return { type: 'direct', to: item.to, text: item.text, ref: item.ref };
  return { type: 'message', room: item.room, text: item.text, ref: item.ref };
}

/**
 * A send is `{ kind: 'message', room, text }` or `{ kind: 'direct', to, text }`; the outbox adds
 * `ref`, `resolve`, `reject`, `done` (settled), `echoed` (the id of its own copy, once seen) and
 * `cutOff` (written before a drop, fate unknown until the replay).
 */
export class Outbox {
  constructor(maxQueue) {
    this.maxQueue = maxQueue;
    this._refSeq = 0;
    this._queue = [];            // sends not yet written to the current connection, in order
    this._inflight = new Map();  // ref → send written, awaiting ack/echo/error
    this._ownReplayed = [];      // own messages seen while catching up, to settle sends cut off by a drop
    this._seenDirects = new Set();
  }

  /** Sends waiting to be written. */
  get queued() {
    return this._queue.length;
  }

  /** Queues a send; the promise settles with its fate and carries the send's `ref`. */
  add(item) {
    if (this._queue.length >= this.maxQueue) {
      return Promise.reject(new DuplexError('queue-full', `At most ${this.maxQueue} messages can wait while offline.`));
    }
    item.ref = `c-${++this._refSeq}`;
    const promise = new Promise((resolve, reject) => {
      item.resolve = (v) => { item.done = true; resolve(v); };
      item.reject = (e) => { item.done = true; reject(e); };
    });
    this._queue.push(item);
    // The label this send carries on the wire: `message` and `direct` events that answer it have
    // the same `ref`, so a page can swap its "sending…" placeholder for the real thing.
    promise.ref = item.ref;
    return promise;
  }

  /**
   * Writes queued sends in order while `canWrite()`. `check(item)` returns a DuplexError for a send
   * that cannot go (any more); a frame over `maxFrameBytes` is refused here.
   */
  flush({ canWrite, check, maxFrameBytes, write }) {
    while (this._queue.length > 0 && canWrite()) {
      const item = this._queue.shift();
      if (item.done) continue;
      const problem = check(item);
      if (problem) { item.reject(problem); continue; }
      const json = JSON.stringify(frameOf(item));
      if (new TextEncoder().encode(json).length > maxFrameBytes) {
        item.reject(new DuplexError('too-big', `The frame would exceed ${maxFrameBytes} bytes.`, { ref: item.ref, room: item.room }));
        continue;
      }
      this._inflight.set(item.ref, item);
      write(json);
    }
  }

  /** Settles the send `ref` with the server's ack; returns the send, or null if unknown. */
  acknowledge(ref, id) {
    const item = this._inflight.get(ref);
    if (!item) return null;
    this._inflight.delete(ref);
    if (item.kind === 'direct') {
      if (id !== null) this._seenDirects.add(id);
      item.resolve({ id, ref: item.ref, to: item.to, text: item.text });
    } else {
      item.resolve({ id, ref: item.ref, room: item.room, text: item.text });
    }
    return item;
  }

  /**
   * This client's own message `id` came back. Frames from one sender arrive in order, and the
   * sender's copy comes before its ack: the oldest unanswered send with this room and text is the
   * one it answers. Returns that send's ref. `settles`: the copy is the only answer (chat).
   * `replaying`: a resume replay is under way, so an unmatched copy may settle a cut-off send.
   */
  echo(room, text, id, { settles, replaying }) {
    const pending = [...this._inflight.values()].find((i) => i.kind === 'message' && !i.echoed && i.room === room && i.text === text);
    if (pending) {
      pending.echoed = id;
      if (settles) {
        this._inflight.delete(pending.ref);
        pending.resolve({ id, ref: pending.ref, room, text: pending.text });
      }
      return pending.ref;
    }
    if (replaying) this._ownReplayed.push({ id, room, text });
    return undefined;
  }

  /** False for a direct already shown (its sender's copy is built from the ack). */
  firstSightOfDirect(id) {
    if (this._seenDirects.has(id)) return false;
    this._seenDirects.add(id);
    return true;
  }

  /** Rejects the send `ref` if it is in flight. */
  reject(ref, err) {
    const item = this._inflight.get(ref);
    if (!item) return false;
    this._inflight.delete(ref);
    item.reject(err);
    return true;
  }

  /** Rejects the oldest send not answered at all: errors come in order, and chat's carry no ref. */
  rejectOldest(err) {
    const oldest = this.unanswered()[0];
    if (!oldest) return false;
    this._inflight.delete(oldest.ref);
    oldest.reject(err);
    return true;
  }

  /** Sends in flight whose own copy has not come back, oldest first. */
  unanswered() {
    return [...this._inflight.values()].filter((i) => !i.echoed);
  }

  /** Puts those of `sends` still unanswered back at the head of the queue, to be written again. */
  requeue(sends) {
    const dropped = sends.filter((i) => this._inflight.get(i.ref) === i && !i.echoed);
    for (const i of dropped) this._inflight.delete(i.ref);
    this._queue = [...dropped, ...this._queue];
  }

  /** A new connection: no replay seen on it yet. */
  reset() {
    this._ownReplayed = [];
  }

  /**
   * The connection dropped. Sends written but not yet answered: resumable ones (room messages on
   * a superchat session that will reconnect) are settled against the replay after reconnecting,
   * or written again; the others cannot be told apart from delivered ones and are rejected.
   */
  cut(resumable) {
    const cut = [...this._inflight.values()];
    this._inflight.clear();
    for (const item of cut) {
      if (item.echoed) {
        // Its own copy came back, so it is stored; only the ack was lost.
        item.resolve({ id: item.echoed, ref: item.ref, room: item.room, text: item.text });
      } else if (resumable && item.kind === 'message') {
        item.cutOff = true;
      } else {
        item.reject(new DuplexError('unconfirmed', 'The connection dropped before the server confirmed this; it may or may not have been delivered.', { ref: item.ref, room: item.room }));
      }
    }
    const resend = cut.filter((i) => !i.done);
    this._queue = [...resend, ...this._queue];
  }

  /** Caught up after reconnecting: a cut-off send whose own copy was replayed is settled by it. */
  settleFromReplay() {
    const seen = this._ownReplayed.splice(0);
    this._queue = this._queue.filter((item) => {
      if (!item.cutOff) return true;
      const at = seen.findIndex((m) => m.room === item.room && m.text === item.text);
      if (at < 0) return true; // not stored before the drop: send it again
      const [m] = seen.splice(at, 1);
      item.resolve({ id: m.id, ref: item.ref, room: item.room, text: item.text });
      return false;
    });
    for (const item of this._queue) item.cutOff = false;
  }

  /** Closed for good: every queued send fails with `err`. */
  rejectQueued(err) {
    for (const item of this._queue.splice(0)) item.reject(err);
  }
}
