// The WebSocket transport. socket.js drives any transport of the same small shape, so SSE or
// long-polling transports can sit beside this one without changes anywhere else:
//
//   new Transport(endpoint, query, options)  starts connecting at once; may throw (bad URL…).
//                                            query: { name, room, since }; options: the client's
//   transport.send(text)                     one text frame, only while isOpen
//   transport.close(code?, reason?)          ends it; onclose follows
//   transport.isOpen                         frames can be sent
//   transport.isClosed                       closing or closed: nothing more can be sent
//   transport.protocol                       the negotiated sub-protocol, '' until known
//   transport.socket                         what lies beneath, for diagnostics
//   transport.onmessage = (data) => …        a string, Blob or ArrayBuffer, in arrival order
//   transport.onclose = ({ code, reason, wasClean }) => …   once; nothing arrives after it

import { PROTOCOLS } from './protocol.js';

const OPEN = 1;
const CLOSING = 2;

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

export class WebSocketTransport {
  /**
   * @param {string} endpoint  the endpoint's URL (http(s) or ws(s))
   * @param {object} query     `{ name, room, since }` for the handshake
   * @param {object} [options] `protocols` to offer; `WebSocket`, an implementation to use instead
   *   of the global one
   */
  constructor(endpoint, query, { protocols = PROTOCOLS, WebSocket: Impl } = {}) {
    this.onmessage = null;
    this.onclose = null;
    const ws = new (Impl || globalThis.WebSocket)(buildSocketUrl(endpoint, query), [...protocols]);
    this.socket = ws;
    ws.onmessage = (event) => { if (this.onmessage) this.onmessage(event.data); };
    ws.onclose = (event) => {
      if (this.onclose) this.onclose({ code: event.code, reason: event.reason || '', wasClean: event.wasClean });
    };
    ws.onerror = () => { /* a close event always follows */ };
  }

  get isOpen() {
    return this.socket.readyState === OPEN;
  }

  get isClosed() {
    return this.socket.readyState >= CLOSING;
  }

  get protocol() {
    return this.socket.protocol || '';
  }

  send(text) {
    this.socket.send(text);
  }

  close(code, reason) {
    // No code: exactly as close() with no arguments, whatever the implementation makes of undefined.
    if (code === undefined) this.socket.close();
    else this.socket.close(code, reason);
  }
}
