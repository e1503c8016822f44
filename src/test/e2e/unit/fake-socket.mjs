// A scriptable stand-in for the browser's WebSocket, for unit tests of duplex.js.

export class FakeWebSocket {
  static instances = [];

  static reset() {
    FakeWebSocket.instances = [];
  }

  static get last() {
    return FakeWebSocket.instances[FakeWebSocket.instances.length - 1];
  }

  constructor(url, protocols) {
    this.url = new URL(url);
    this.protocols = protocols;
    this.readyState = 0;
    this.protocol = '';
    this.sent = [];
    this.onopen = null;
    this.onmessage = null;
    this.onclose = null;
    this.onerror = null;
    FakeWebSocket.instances.push(this);
  }

  /** Frames the client wrote, parsed. */
  get frames() {
    return this.sent.map((s) => JSON.parse(s));
  }

  framesOf(type) {
    return this.frames.filter((f) => f.type === type);
  }

  send(data) {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(data);
  }

  close(code = 1005, reason = '') {
    if (this.readyState >= 2) return;
    this.readyState = 2;
    queueMicrotask(() => this._closed(code, reason, true));
  }

  // ---- server side ----

  accept(protocol = this.protocols[0]) {
    this.protocol = protocol;
    this.readyState = 1;
    if (this.onopen) this.onopen({});
  }

  receive(frame) {
    const data = typeof frame === 'string' || frame instanceof ArrayBuffer || ArrayBuffer.isView(frame)
      || (typeof Blob !== 'undefined' && frame instanceof Blob) ? frame : JSON.stringify(frame);
    this.onmessage({ data });
  }

  /** Accepts with a welcome, as a superchat (or chat) server would. */
  welcome({ protocol = 'superchat', name, room, members } = {}) {
    this.accept(protocol);
    const q = this.url.searchParams;
    const roomName = room || q.get('room') || 'lobby';
    this.receive({ type: 'welcome', protocol, name: name || q.get('name'), room: roomName,
      ...(protocol === 'superchat' ? { limits: { maxTextChars: 4000, maxFrameBytes: 65536, maxRoomsPerSession: 20, typingPerSecond: 3 } } : {}) });
    if (protocol === 'superchat') this.receive({ type: 'joined', room: roomName, members: members || [q.get('name')] });
  }

  /** Answers every ping written so far that has not been answered. */
  pongAll() {
    const pings = this.framesOf('ping').length;
    this.ponged = this.ponged || 0;
    while (this.ponged < pings) {
      this.ponged += 1;
      this.receive({ type: 'pong' });
    }
  }

  /** The server closes (or the network drops) with `code`. */
  drop(code = 1006, reason = '') {
    this.readyState = 3;
    this._closed(code, reason, code !== 1006);
  }

  _closed(code, reason, wasClean) {
    this.readyState = 3;
    if (this.onclose) this.onclose({ code, reason, wasClean });
  }
}

/** Lets queued frame handling (promise chains) run. */
export async function settle(rounds = 10) {
  for (let i = 0; i < rounds; i += 1) await new Promise((r) => setImmediate(r));
}

