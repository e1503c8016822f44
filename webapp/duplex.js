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
//
// This file is the public entry point; the parts live in duplex/ and are imported relatively, so
// the client works under any context root:
//   duplex/client.js               DuplexClient: frames in, events and promises out
//   duplex/socket.js               the connection: reconnect back-off, heartbeat, pacing
//   duplex/transport-websocket.js  the WebSocket transport, and the shape every transport has
//   duplex/rooms.js                per-room position (`since`), replay, members
//   duplex/outbox.js               refs, offline queue, in-flight sends, ack/echo matching
//   duplex/protocol.js             sub-protocols, limits, names and rooms, ids, frame decoding
//   duplex/errors.js               close codes explained, reconnect policy, DuplexError

export { DuplexClient } from './duplex/client.js';
export { backoffDelay } from './duplex/socket.js';
export { buildSocketUrl } from './duplex/transport-websocket.js';
export {
  DEFAULT_LIMITS, PROTOCOLS, ROOM_PATTERN, compareIds, decodeData, defaultEndpoint, formatTime,
  parseFrame, protocolsFor, readFrame, textLength, validateName, validateRoom,
} from './duplex/protocol.js';
export {
  CLOSE_CODES, DuplexError, MIN_RECONNECT_DELAY, closeCodeName, explainClose, explainCloseCode,
  shouldReconnect,
} from './duplex/errors.js';
