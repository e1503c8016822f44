// The chat page's model: the conversations (rooms and direct messages) with their items,
// members, typing and unread counts, and what the client reported (who we are, the sub-protocol,
// the connection). No DOM here: app-view.js draws this, app.js changes it as events arrive.

import { compareIds } from './duplex.js';

/** Messages the server sends on join, and the page size of "load earlier messages". */
export const HISTORY_PAGE = 50;

/** Whatever came over the wire, as a string ('' for nothing). */
export function asText(value) {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : String(value);
}

/**
 * A conversation: `{ key, kind: 'room' | 'dm', name, items, ids, unread, members, typing,
 * hasOlder, joined }`. Items are `{ type: 'message' | 'direct' | 'pending' | 'notice' | 'error' |
 * 'system', … }`; `typing` maps a name to the timer that stops showing it.
 */
export class ChatState {
  constructor() {
    /** The DuplexClient whose reports are shown, or null. */
    this.client = null;
    this.me = '';
    this.protocol = '';
    /** key ('room:lobby' | 'dm:bob') → conversation */
    this.convs = new Map();
    this.active = null;
    /** Messages replayed since the last reconnect, for "caught up on N". */
    this.caughtUp = 0;
    /** A close that will reconnect began a run of attempts; their own closes are not news. */
    this.retryCycle = false;
    this._itemSeq = 0;
  }

  /** The connection's state as the client last set it ('idle' before there is one). */
  get connection() {
    return this.client ? this.client.state : 'idle';
  }

  get everConnected() {
    return !!(this.client && this.client.everConnected);
  }

  // ---- conversations -------------------------------------------------------

  conv(key) {
    return this.convs.get(key) || null;
  }

  get activeConv() {
    return this.conv(this.active);
  }

  room(name) {
    return this.conv(`room:${name}`);
  }

  /** The conversation, made if new: `[conv, created]`. */
  ensureConv(kind, name) {
    const key = `${kind}:${name}`;
    let c = this.convs.get(key);
    if (c) return [c, false];
    c = { key, kind, name, items: [], ids: new Set(), unread: 0, members: [], typing: new Map(), hasOlder: true, joined: false };
    this.convs.set(key, c);
    return [c, true];
  }

  roomConvs() {
    return [...this.convs.values()].filter((c) => c.kind === 'room');
  }

  dmConvs() {
    return [...this.convs.values()].filter((c) => c.kind === 'dm');
  }

  /** Conversations in sidebar order: rooms, then direct messages. */
  orderedKeys() {
    return [...this.roomConvs(), ...this.dmConvs()].map((c) => c.key);
  }

  /** Whether `name` is in any room this page is in. */
  online(name) {
    return this.roomConvs().some((c) => c.members.includes(name));
  }

  clear() {
    this.convs.clear();
    this.active = null;
  }

  /** Makes `key` the open conversation, read; returns it, or null when there is none. */
  activate(key) {
    const c = this.conv(key);
    if (!c) return null;
    this.active = key;
    c.unread = 0;
    return c;
  }

  /** Counts `item` as unread unless the reader sees it or it needs no reading. */
  bump(c, item, { pageVisible }) {
    if (c.key === this.active && pageVisible) return false;
    if (item.own || item.history) return false;
    c.unread += 1;
    return true;
  }

  totalUnread() {
    return [...this.convs.values()].reduce((n, c) => n + c.unread, 0);
  }

  /**
   * Coming back as the same person: rejoin the same rooms and resume each after the last message
   * shown, so nothing is missed or shown twice. `{ since, rooms }` for the client.
   */
  resumePoints(handshakeRoom) {
    const since = {};
    const rooms = [];
    for (const c of this.roomConvs()) {
      const last = [...c.items].reverse().find((i) => i.type === 'message' && i.id != null);
      if (last) since[c.name] = last.id;
      if (c.name !== handshakeRoom && c.joined) rooms.push(c.name);
    }
    return { since, rooms };
  }

  // ---- items ---------------------------------------------------------------

  /**
   * Places an item: messages by id (ids increase within a room), everything else at the end.
   * Returns where it went, or -1 for a message already shown.
   */
  addItem(c, item) {
    item.key = `i${++this._itemSeq}`;
    if (item.id != null) {
      if (c.ids.has(item.id)) return -1;
      c.ids.add(item.id);
    }
    let at = c.items.length;
    if (item.id != null && item.type === 'message') {
      // Pending sends stay last; otherwise insert before the first later message.
      while (at > 0) {
        const prev = c.items[at - 1];
        if (prev.type === 'pending') { at -= 1; continue; }
        if (prev.type === 'message' && prev.id != null && compareIds(prev.id, item.id) > 0) { at -= 1; continue; }
        break;
      }
    } else if (item.type !== 'pending') {
      while (at > 0 && c.items[at - 1].type === 'pending') at -= 1;
    }
    c.items.splice(at, 0, item);
    return at;
  }

  /** Takes an item out; returns where it was (-1 if it was not there). */
  removeItem(c, item) {
    const at = c.items.indexOf(item);
    if (at >= 0) c.items.splice(at, 1);
    return at;
  }

  messageCount(c) {
    return c.items.filter((i) => i.type === 'message').length;
  }

  oldestMessageId(c) {
    const oldest = c.items.find((i) => i.type === 'message' && i.id != null);
    return oldest ? oldest.id : undefined;
  }

  pendingItems() {
    return [...this.convs.values()].flatMap((c) => c.items.filter((i) => i.type === 'pending'));
  }

  /** The "sending…" placeholder of the send `ref`: `{ c, item }`, or null. */
  findPending(ref) {
    for (const c of this.convs.values()) {
      const item = c.items.find((i) => i.type === 'pending' && i.ref === ref);
      if (item) return { c, item };
    }
    return null;
  }
}
