// Duplex browser client. Pure helpers are exported for tests; the DOM is only
// wired when the page provides #app.

export const PROTOCOLS = ['superchat', 'chat'];
export const MAX_TEXT_LENGTH = 4000;
export const ROOM_PATTERN = /^[a-z0-9-]{1,32}$/;

export const CLOSE_CODES = Object.freeze({
  1000: { name: 'Normal closure', text: 'Closed normally.' },
  1001: { name: 'Going away', text: 'The server is shutting down or restarting. Try again in a moment.' },
  1006: {
    name: 'Abnormal closure',
    text: 'The connection dropped without a close frame (network problem, server crash, or the handshake was refused — e.g. origin not allowed or no common sub-protocol).',
  },
  1007: { name: 'Invalid frame payload', text: 'A text frame contained invalid UTF-8.' },
  1008: { name: 'Policy violation', text: 'The server closed the connection because a policy was violated.' },
  1009: { name: 'Message too big', text: 'A frame was larger than 64 KiB.' },
  1011: { name: 'Internal error', text: 'The server hit an unexpected error and closed the connection.' },
  4001: {
    name: 'Invalid connection parameters',
    text: "The name or room is missing or invalid: name 1–32 characters without control characters; room a-z, 0-9 and '-', up to 32.",
  },
  4002: { name: 'No common sub-protocol', text: 'The server speaks only superchat and chat.' },
  4003: { name: 'Too slow', text: 'This client could not keep up with incoming messages and was disconnected.' },
});

/** Short name of a close code, e.g. "Policy violation". */
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
  if (code >= 1000 && code <= 2999) {
    return `Code ${code} is reserved for the WebSocket protocol itself; the connection ended at the protocol level.`;
  }
  if (code >= 3000 && code <= 3999) {
    return `Code ${code} is in the range for libraries and frameworks; the server software ended the connection.`;
  }
  if (code >= 4000 && code <= 4999) {
    return `Code ${code} is an application-specific code; the chat server ended the connection for its own reason.`;
  }
  return `Code ${code} is not a valid WebSocket close code.`;
}

/** Returns an error message, or '' when the name is acceptable. */
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

/** Sub-protocol list to offer: the chosen one first, the other second. */
export function protocolsFor(chosen) {
  const first = PROTOCOLS.includes(chosen) ? chosen : PROTOCOLS[0];
  return [first, ...PROTOCOLS.filter((p) => p !== first)];
}

/**
 * WebSocket URL for the `chat` endpoint relative to the page, so it works
 * under any context root. `loc` is `location` or anything with an `href`.
 */
export function buildSocketUrl(loc, name, room) {
  const url = new URL('chat', typeof loc === 'string' ? loc : loc.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.hash = '';
  // URLSearchParams writes spaces as '+'; some servers decode the query with
  // plain percent-decoding, so use %20 (a literal '+' is already %2B).
  url.search = new URLSearchParams({ name, room }).toString().replace(/\+/g, '%20');
  return url.href;
}

/**
 * Parses one text frame. Never throws.
 * Returns { ok: true, frame } or { ok: false, error }.
 */
export function parseFrame(text) {
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, error: 'The server sent a frame that is not valid JSON.' };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, error: 'The server sent a frame that is not a JSON object.' };
  }
  if (typeof value.type !== 'string') {
    return { ok: false, error: 'The server sent a frame without a "type".' };
  }
  return { ok: true, frame: value };
}

/** Turns MessageEvent.data (string, Blob, ArrayBuffer or view) into text. */
export async function decodeData(data) {
  if (typeof data === 'string') return data;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
    return decoder.decode(data);
  }
  // Duck-typed so a Blob from another realm (iframe, test DOM) works too.
  if (data && typeof data.arrayBuffer === 'function') {
    return decoder.decode(await data.arrayBuffer());
  }
  throw new TypeError('Unsupported frame data.');
}

/** Decodes and parses MessageEvent.data. Never rejects. */
export async function readFrame(data) {
  let text;
  try {
    text = await decodeData(data);
  } catch {
    return { ok: false, error: 'The server sent a binary frame that is not valid UTF-8 text.' };
  }
  return parseFrame(text);
}

/** Local time for an ISO-8601 timestamp, or '' if it cannot be parsed. */
export function formatTime(ts, locales, options) {
  if (typeof ts !== 'string' || ts === '') return '';
  const date = new Date(ts);
  if (Number.isNaN(date.getTime())) return '';
  return date.toLocaleTimeString(locales, options);
}

function asText(value) {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : String(value);
}

// ---------------------------------------------------------------------------
// DOM

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function timeEl(ts) {
  const label = formatTime(ts);
  if (!label) return null;
  const time = el('time', 'time', label);
  time.dateTime = ts;
  time.title = new Date(ts).toLocaleString();
  return time;
}

function mount(root) {
  const $ = (id) => {
    const node = root.querySelector(`#${id}`);
    if (!node) throw new Error(`Missing #${id}`);
    return node;
  };
  const ui = {
    form: $('connect-form'),
    name: $('name'),
    room: $('room'),
    connect: $('connect'),
    disconnect: $('disconnect'),
    badge: $('badge'),
    state: $('state'),
    badgeProtocol: $('badge-protocol'),
    negotiated: $('negotiated'),
    banner: $('notice-banner'),
    bannerText: $('notice-text'),
    bannerDismiss: $('notice-dismiss'),
    closeInfo: $('close-info'),
    log: $('log'),
    composerForm: $('composer-form'),
    composer: $('composer'),
    send: $('send'),
  };

  let ws = null;
  let myName = '';
  // Blob frames decode asynchronously; chaining keeps frames in arrival order.
  let queue = Promise.resolve();

  function setState(state) {
    ui.badge.dataset.state = state;
    ui.state.textContent = state;
    const open = state === 'open';
    const idle = state === 'closed';
    ui.connect.disabled = !idle;
    ui.disconnect.disabled = idle;
    ui.name.disabled = !idle;
    ui.room.disabled = !idle;
    for (const radio of ui.form.querySelectorAll('input[name="protocol"]')) radio.disabled = !idle;
    ui.composer.disabled = !open;
    ui.send.disabled = !open;
    if (open) {
      ui.negotiated.textContent = ws && ws.protocol ? ws.protocol : 'none';
      ui.badgeProtocol.hidden = false;
    } else {
      ui.negotiated.textContent = '';
      ui.badgeProtocol.hidden = true;
    }
  }

  // Follow the end of the log only while the reader is there, so scrolling
  // back to read history is not yanked away by every incoming message.
  let followLog = true;
  const logAtEnd = () => ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 40;
  const scrollLogToEnd = () => { ui.log.scrollTop = ui.log.scrollHeight; };
  ui.log.addEventListener('scroll', () => { followLog = logAtEnd(); }, { passive: true });
  // The log shrinks when the notice banner or close info appears, the window
  // is resized or a phone keyboard opens; keep the newest entries in view.
  if (typeof ResizeObserver === 'function') {
    new ResizeObserver(() => { if (followLog) scrollLogToEnd(); }).observe(ui.log);
  }

  function append(li, { force = false } = {}) {
    const follow = force || followLog || logAtEnd();
    ui.log.append(li);
    if (follow) {
      scrollLogToEnd();
      followLog = true;
    }
    return li;
  }

  function logSystem(text) {
    return append(el('li', 'system', text), { force: true });
  }

  function logError(code, message) {
    const li = el('li', 'error');
    const head = el('div', 'meta');
    head.append(el('span', 'tag tag-error', 'Error'));
    if (code) head.append(el('code', 'code', code));
    li.append(head, el('p', 'text', message));
    return append(li, { force: true });
  }

  function logMessage(frame) {
    const from = asText(frame.from);
    const own = myName !== '' && from === myName;
    const li = el('li', own ? 'msg own' : 'msg');
    if (frame.id !== undefined && frame.id !== null) li.dataset.id = asText(frame.id);
    const head = el('div', 'meta');
    head.append(el('span', 'from', from || 'unknown'));
    if (own) head.append(el('span', 'visually-hidden', ' (you)'));
    const time = timeEl(frame.ts);
    if (time) head.append(time);
    li.append(head, el('p', 'text', asText(frame.text)));
    return append(li, { force: own });
  }

  function logNotice(frame) {
    const li = el('li', 'notice');
    if (frame.id !== undefined && frame.id !== null) li.dataset.id = asText(frame.id);
    const head = el('div', 'meta');
    head.append(el('span', 'tag tag-notice', 'Notice'));
    const time = timeEl(frame.ts);
    if (time) head.append(time);
    li.append(head, el('p', 'text', asText(frame.text)));
    append(li);

    ui.bannerText.textContent = asText(frame.text);
    ui.banner.hidden = false;
  }

  function showCloseInfo(event) {
    const code = event.code;
    const reason = event.reason;
    const explanation = explainCloseCode(code);

    ui.closeInfo.replaceChildren();
    const title = el('p', 'close-title');
    title.append('Disconnected — code ', el('code', 'code', String(code)), ` (${closeCodeName(code)})`);
    ui.closeInfo.append(title);
    if (reason) {
      const reasonP = el('p', 'close-reason');
      reasonP.append(el('span', 'close-label', 'Server said: '), document.createTextNode(reason));
      ui.closeInfo.append(reasonP);
    }
    ui.closeInfo.append(el('p', 'close-explanation', explanation));
    ui.closeInfo.dataset.code = String(code);
    ui.closeInfo.hidden = false;

    logSystem(`Disconnected (code ${code}${reason ? `: ${reason}` : ''}). ${explanation}`);
  }

  function handleFrame(result) {
    if (!result.ok) {
      logError('invalid-frame', result.error);
      return;
    }
    const frame = result.frame;
    switch (frame.type) {
      case 'welcome': {
        if (typeof frame.name === 'string' && frame.name !== '') myName = frame.name;
        const room = asText(frame.room);
        const protocol = asText(frame.protocol) || (ws && ws.protocol) || '';
        logSystem(`Joined ${room ? `#${room}` : 'the room'} as ${myName}${protocol ? ` (protocol ${protocol})` : ''}.`);
        break;
      }
      case 'message':
        logMessage(frame);
        break;
      case 'notice':
        logNotice(frame);
        break;
      case 'error':
        logError(asText(frame.code) || 'error', asText(frame.message) || 'The server reported an error.');
        break;
      case 'pong':
        break;
      default:
        // Unknown frame types are ignored so newer servers stay compatible.
        break;
    }
  }

  function connect() {
    if (ws) return;
    const name = ui.name.value.trim();
    const room = ui.room.value.trim();
    const chosen = ui.form.querySelector('input[name="protocol"]:checked')?.value ?? PROTOCOLS[0];

    let socket;
    try {
      socket = new WebSocket(buildSocketUrl(location, name, room), protocolsFor(chosen));
    } catch (err) {
      logError('connect-failed', `Could not open the connection: ${err && err.message ? err.message : err}`);
      return;
    }
    ws = socket;
    myName = name;
    queue = Promise.resolve();
    ui.closeInfo.hidden = true;
    ui.closeInfo.replaceChildren();
    setState('connecting');
    logSystem(`Connecting to #${room} as ${name}…`);

    socket.addEventListener('open', () => {
      if (ws !== socket) return;
      setState('open');
      ui.composer.focus();
    });
    socket.addEventListener('message', (event) => {
      if (ws !== socket) return;
      queue = queue
        .then(() => readFrame(event.data))
        .then((result) => { if (ws === socket) handleFrame(result); })
        .catch((err) => logError('client', `Could not display a frame: ${err && err.message ? err.message : err}`));
    });
    socket.addEventListener('close', (event) => {
      if (ws !== socket) return;
      // Let frames still being decoded land before the close summary.
      queue.finally(() => {
        if (ws !== socket) return;
        ws = null;
        setState('closed');
        showCloseInfo(event);
      });
    });
  }

  function disconnect() {
    if (!ws) return;
    if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) {
      ws.close(1000, 'Client disconnected');
    }
  }

  function sendMessage() {
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    const text = ui.composer.value;
    if (text.trim() === '') {
      ui.composer.focus();
      return;
    }
    if (text.length > MAX_TEXT_LENGTH) {
      logError('too-long', `Messages can be at most ${MAX_TEXT_LENGTH} characters.`);
      ui.composer.focus();
      return;
    }
    ws.send(JSON.stringify({ type: 'message', text }));
    ui.composer.value = '';
    ui.composer.focus();
  }

  function syncValidity() {
    ui.name.setCustomValidity(validateName(ui.name.value));
    ui.room.setCustomValidity(validateRoom(ui.room.value));
  }

  ui.name.addEventListener('input', syncValidity);
  ui.room.addEventListener('input', syncValidity);
  syncValidity();

  ui.form.addEventListener('submit', (event) => {
    event.preventDefault();
    syncValidity();
    if (!ui.form.reportValidity()) return;
    connect();
  });
  ui.disconnect.addEventListener('click', disconnect);

  ui.composerForm.addEventListener('submit', (event) => {
    event.preventDefault();
    sendMessage();
  });
  ui.composer.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || event.shiftKey) return;
    // Enter that confirms an IME composition must not send.
    if (event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    sendMessage();
  });

  ui.bannerDismiss.addEventListener('click', () => {
    ui.banner.hidden = true;
    ui.bannerText.textContent = '';
  });

  window.addEventListener('pagehide', () => {
    if (ws) ws.close(1000, 'Page closed');
  });

  setState('closed');
  if (ui.name.value.trim() === '') ui.name.focus();
}

if (typeof document !== 'undefined') {
  const boot = () => {
    const root = document.getElementById('app');
    if (root) mount(root);
  };
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', boot, { once: true });
  } else {
    boot();
  }
}
