// Close codes and errors: what each close means in plain language, whether reconnecting can help,
// and the error that refused sends, joins and history requests reject with
// (docs/PROTOCOL.md, "Close codes" and "Error codes").

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

/** Error for a refused send, join, history…: `code` is a protocol error code or a client one. */
export class DuplexError extends Error {
  constructor(code, message, details = {}) {
    super(message);
    this.name = 'DuplexError';
    this.code = code;
    Object.assign(this, details);
  }
}
