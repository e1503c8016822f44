// Unit tests of webapp/duplex.js: the pure helpers and the client against a fake socket.
// Run: node --test src/test/e2e/unit/

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import {
  CLOSE_CODES, DuplexClient, DuplexError, backoffDelay, buildSocketUrl, closeCodeName, compareIds,
  decodeData, explainClose, explainCloseCode, parseFrame, protocolsFor, readFrame, shouldReconnect,
  validateName, validateRoom,
} from '../../../../webapp/duplex.js';
import { FakeClock } from './fake-clock.mjs';
import { FakeWebSocket, settle } from './fake-socket.mjs';

// docs/PROTOCOL.md, "Close codes"
const DOCUMENTED = [1000, 1001, 1002, 1006, 1007, 1008, 1009, 1011, 4001, 4002, 4003, 4008, 4009, 4029];

describe('close codes', () => {
  test('every documented code has a name and a plain-language explanation', () => {
    for (const code of DOCUMENTED) {
      const info = explainClose(code, 'why');
      assert.equal(info.code, code);
      assert.equal(info.reason, 'why');
      assert.ok(info.name.length > 3, `${code} name`);
      assert.ok(info.explanation.length > 30, `${code} explanation`);
      assert.equal(info.explanation, CLOSE_CODES[code].text);
      assert.doesNotMatch(info.explanation, /undefined|null/);
    }
  });

  test('explanations say what happened', () => {
    assert.match(explainCloseCode(1001), /shutting down|redeployed/);
    assert.match(explainCloseCode(1006), /dropped/);
    assert.match(explainCloseCode(1007), /UTF-8/);
    assert.match(explainCloseCode(1008), /rules/);
    assert.match(explainCloseCode(1009), /64 KiB/);
    assert.match(explainCloseCode(1011), /unexpected error/);
    assert.match(explainCloseCode(4001), /name or room/);
    assert.match(explainCloseCode(4002), /superchat and\/or chat/);
    assert.match(explainCloseCode(4003), /fell behind/);
    assert.match(explainCloseCode(4008), /heard nothing/);
    assert.match(explainCloseCode(4009), /many connections/);
    assert.match(explainCloseCode(4029), /faster than the server allows/);
    assert.match(explainCloseCode(1002), /framing/);
  });

  test('unknown codes are explained by range', () => {
    assert.equal(closeCodeName(1012), 'Protocol code');
    assert.equal(closeCodeName(3001), 'Library code');
    assert.equal(closeCodeName(4999), 'Application code');
    assert.equal(closeCodeName(42), 'Unknown code');
    assert.match(explainCloseCode(4999), /application code/);
    assert.match(explainCloseCode(42), /not a valid/);
  });

  test('reconnect policy', () => {
    for (const code of [1001, 1006, 1011, 4003, 4008, 4029, 1012, 1005]) assert.equal(shouldReconnect(code), true, String(code));
    for (const code of [1000, 1002, 1007, 1008, 1009, 4001, 4002, 4009]) assert.equal(shouldReconnect(code), false, String(code));
    assert.equal(shouldReconnect(1001, { userInitiated: true }), false);
    assert.equal(shouldReconnect(1006, { everConnected: false }), false, 'a refused first handshake is not retried');
  });
});

describe('helpers', () => {
  test('back-off grows exponentially to a cap, with jitter', () => {
    const opts = { initialDelay: 500, maxDelay: 10000, factor: 2, jitter: 0.5 };
    assert.equal(backoffDelay(0, opts, () => 0), 250);
    assert.equal(backoffDelay(0, opts, () => 1), 500);
    assert.equal(backoffDelay(3, opts, () => 1), 4000);
    assert.equal(backoffDelay(10, opts, () => 1), 10000);
    assert.equal(backoffDelay(10, opts, () => 0), 5000);
    const seen = new Set(Array.from({ length: 50 }, () => backoffDelay(2, opts)));
    assert.ok(seen.size > 5, 'jitter spreads the delays');
    for (const d of seen) assert.ok(d >= 1000 && d <= 2000, String(d));
  });

  test('socket URL carries name, room and since', () => {
    assert.equal(buildSocketUrl('http://h:8080/app/chat', { name: 'Ann Lee', room: 'dev', since: '0012' }),
      'ws://h:8080/app/chat?name=Ann%20Lee&room=dev&since=0012');
    assert.equal(buildSocketUrl('https://h/x/index.html', { name: 'a+b' }, { relative: true }), 'wss://h/x/chat?name=a%2Bb');
    assert.equal(buildSocketUrl('ws://h/chat', { name: 'z', room: '' }), 'ws://h/chat?name=z');
  });

  test('validation and protocol preference', () => {
    assert.equal(validateName('  ann '), '');
    assert.notEqual(validateName(''), '');
    assert.notEqual(validateName('x'.repeat(33)), '');
    assert.equal(validateName('😀'.repeat(32)), '');
    assert.notEqual(validateName('a\u0007b'), '');
    assert.equal(validateRoom('dev-2'), '');
    assert.notEqual(validateRoom('Dev'), '');
    assert.deepEqual(protocolsFor('chat'), ['chat', 'superchat']);
    assert.deepEqual(protocolsFor('nonsense'), ['superchat', 'chat']);
    assert.equal(compareIds('0009', '0010'), -1);
  });

  test('frames: text, ArrayBuffer, typed array and Blob are decoded as UTF-8', async () => {
    const json = '{"type":"message","text":"안녕"}';
    const bytes = new TextEncoder().encode(json);
    assert.equal(await decodeData(json), json);
    assert.equal(await decodeData(bytes.buffer), json);
    assert.equal(await decodeData(bytes), json);
    assert.equal(await decodeData(new Blob([bytes])), json);
    assert.deepEqual((await readFrame(new Blob([bytes]))).frame, { type: 'message', text: '안녕' });
    assert.equal((await readFrame(new Uint8Array([0xff, 0xfe]))).ok, false);
    assert.equal(parseFrame('[1]').ok, false);
    assert.equal(parseFrame('{"x":1}').ok, false);
    assert.equal(parseFrame('not json').ok, false);
  });
});

// Every client runs on the test's fake clock: no test waits for real time or depends on which of
// two real timers fires first.
let clock;
const clients = [];

function client(options = {}) {
  const c = new DuplexClient({
    name: 'alice', room: 'lobby', url: 'ws://test/chat', WebSocket: FakeWebSocket, pingInterval: 0,
    reconnect: { initialDelay: 1, maxDelay: 5, jitter: 0 }, timers: clock, ...options,
  });
  clients.push(c);
  return c;
}

/** Resolves with the detail of the `count`-th `type` event from now on. */
function nextEvent(c, type, count = 1) {
  return new Promise((resolve) => {
    let seen = 0;
    const off = c.on(type, (detail) => {
      seen += 1;
      if (seen === count) { off(); resolve(detail); }
    });
  });
}

function collect(c, type) {
  const got = [];
  c.on(type, (d) => got.push(d));
  return got;
}

async function openReady(c, opts) {
  c.connect();
  const ws = FakeWebSocket.last;
  ws.welcome(opts);
  await settle();
  ws.pongAll();
  await settle();
  assert.equal(c.state, 'open');
  return ws;
}

describe('DuplexClient', () => {
  beforeEach(() => { clock = new FakeClock(); });
  afterEach(() => {
    // Also after a failed assertion: a client left reconnecting would keep retrying.
    for (const c of clients.splice(0)) c.close();
    FakeWebSocket.reset();
  });

  test('offers the protocol list and resolves send on ack', async () => {
    const c = client({ protocols: ['superchat', 'chat'] });
    const messages = collect(c, 'message');
    const ws = await openReady(c);
    assert.deepEqual(ws.protocols, ['superchat', 'chat']);
    assert.equal(ws.url.searchParams.get('name'), 'alice');
    assert.equal(c.protocol, 'superchat');

    const p = c.send('hi');
    const frame = ws.framesOf('message')[0];
    assert.deepEqual(frame, { type: 'message', room: 'lobby', text: 'hi', ref: p.ref });
    ws.receive({ type: 'message', id: '0001', room: 'lobby', from: 'alice', text: 'hi', ts: '2026-01-01T00:00:00Z' });
    ws.receive({ type: 'ack', ref: p.ref, id: '0001' });
    assert.deepEqual(await p, { id: '0001', ref: p.ref, room: 'lobby', text: 'hi' });
    await settle();
    assert.equal(messages.length, 1);
    assert.equal(messages[0].own, true);
    assert.equal(messages[0].ref, p.ref);
  });

  test('an error frame with the ref rejects the send', async () => {
    const c = client();
    const errors = collect(c, 'error');
    const ws = await openReady(c);
    const p = c.send('x');
    ws.receive({ type: 'error', code: 'too-long', message: 'text is longer', ref: p.ref, room: 'lobby' });
    await assert.rejects(p, (e) => e instanceof DuplexError && e.code === 'too-long' && e.ref === p.ref);
    assert.equal(errors[0].handled, true);
  });

  test('blank and too long text is refused locally', async () => {
    const c = client();
    await openReady(c);
    await assert.rejects(c.send('   '), { code: 'blank-text' });
    await assert.rejects(c.send('😀'.repeat(4001)), { code: 'too-long' });
    c.send('😀'.repeat(4000)).catch(() => {}); // within limits: written
    assert.equal(FakeWebSocket.last.framesOf('message').length, 1);
  });

  test('typed events: notice (deduplicated), presence, typing, direct, raw text', async () => {
    const c = client();
    const notices = collect(c, 'notice');
    const presence = collect(c, 'presence');
    const typing = collect(c, 'typing');
    const directs = collect(c, 'direct');
    const raw = collect(c, 'raw');
    const ws = await openReady(c);
    ws.receive({ type: 'notice', id: 'n1', text: 'Maintenance', ts: '2026-01-01T00:00:00Z' });
    ws.receive({ type: 'notice', id: 'n1', text: 'Maintenance', ts: '2026-01-01T00:00:00Z' });
    ws.receive({ type: 'presence', room: 'lobby', event: 'join', name: 'bob', members: ['alice', 'bob'] });
    ws.receive({ type: 'typing', room: 'lobby', from: 'bob' });
    ws.receive({ type: 'direct', id: 'd1', from: 'bob', to: 'alice', text: 'psst', ts: '2026-01-01T00:00:00Z' });
    ws.receive('welcome to the mock chat server!');
    await settle();
    assert.equal(notices.length, 1);
    assert.deepEqual(c.members('lobby'), ['alice', 'bob']);
    assert.equal(presence[0].name, 'bob');
    assert.equal(typing[0].from, 'bob');
    assert.equal(directs[0].own, false);
    assert.equal(raw[0].text, 'welcome to the mock chat server!');
  });

  test('direct resolves on ack and emits the sender\'s own copy', async () => {
    const c = client();
    const directs = collect(c, 'direct');
    const ws = await openReady(c);
    const p = c.direct('bob', 'lunch?');
    assert.deepEqual(ws.framesOf('direct')[0], { type: 'direct', to: 'bob', text: 'lunch?', ref: p.ref });
    ws.receive({ type: 'ack', ref: p.ref, id: 'd7' });
    assert.equal((await p).id, 'd7');
    assert.equal(directs[0].own, true);
    assert.equal(directs[0].to, 'bob');
    assert.equal(directs[0].ref, p.ref);
  });

  test('binary (Blob) frames are decoded and kept in order with text frames', async () => {
    const c = client();
    const messages = collect(c, 'message');
    const ws = await openReady(c);
    const second = nextEvent(c, 'message', 2);
    const blob = new Blob([JSON.stringify({ type: 'message', id: '0001', room: 'lobby', from: 'bob', text: 'first' })]);
    ws.receive(blob);
    ws.receive({ type: 'message', id: '0002', room: 'lobby', from: 'bob', text: 'second' });
    await second;
    assert.deepEqual(messages.map((m) => m.text), ['first', 'second']);
  });

  test('reconnects after 1001 with since, rejoins rooms with since, drops repeats, flushes the queue', async () => {
    const c = client({ reconnect: { initialDelay: 40, maxDelay: 40, jitter: 0 } });
    const messages = collect(c, 'message');
    const closes = collect(c, 'close');
    const ws1 = await openReady(c);
    const joinP = c.join('dev');
    assert.deepEqual(ws1.framesOf('join')[0], { type: 'join', room: 'dev' });
    ws1.receive({ type: 'joined', room: 'dev', members: ['alice'] });
    assert.deepEqual(await joinP, { room: 'dev', members: ['alice'] });
    ws1.receive({ type: 'message', id: '0005', room: 'lobby', from: 'bob', text: 'a' });
    ws1.receive({ type: 'message', id: '0006', room: 'dev', from: 'bob', text: 'b' });
    await settle();

    ws1.drop(1001, 'server shutting down');
    await settle();
    assert.equal(closes[0].code, 1001);
    assert.equal(closes[0].willReconnect, true);
    assert.match(closes[0].explanation, /shutting down/);
    assert.equal(c.state, 'reconnecting');
    const queued = c.send('while away');
    assert.equal(c.queued, 1);

    await clock.advance(39);
    assert.equal(FakeWebSocket.instances.length, 1, 'not before the back-off delay');
    await clock.advance(1);
    assert.equal(FakeWebSocket.instances.length, 2, 'reconnected after the back-off delay');
    const ws2 = FakeWebSocket.last;
    assert.equal(ws2.url.searchParams.get('since'), '0005');
    assert.equal(ws2.url.searchParams.get('room'), 'lobby');
    ws2.welcome();
    await settle();
    assert.deepEqual(ws2.framesOf('join'), [{ type: 'join', room: 'dev', since: '0006' }]);
    assert.equal(ws2.framesOf('message').length, 0, 'nothing is sent before the replay is done');
    // The replay: one repeat (dropped) and what was missed.
    ws2.receive({ type: 'message', id: '0005', room: 'lobby', from: 'bob', text: 'a' });
    ws2.receive({ type: 'message', id: '0007', room: 'lobby', from: 'bob', text: 'c' });
    ws2.receive({ type: 'joined', room: 'dev', members: ['alice', 'bob'] });
    ws2.receive({ type: 'message', id: '0008', room: 'dev', from: 'bob', text: 'd' });
    await settle();
    ws2.pongAll();
    await settle();
    assert.equal(c.state, 'open');
    assert.deepEqual(messages.map((m) => m.id), ['0005', '0006', '0007', '0008']);
    assert.equal(messages[2].replayed, true);
    const sent = ws2.framesOf('message');
    assert.equal(sent.length, 1);
    assert.equal(sent[0].text, 'while away');
    ws2.receive({ type: 'message', id: '0009', room: 'lobby', from: 'alice', text: 'while away' });
    ws2.receive({ type: 'ack', ref: sent[0].ref, id: '0009' });
    assert.equal((await queued).id, '0009');
  });

  test('a message cut off by a drop is settled from the replay, not sent twice', async () => {
    const c = client();
    const ws1 = await openReady(c);
    ws1.receive({ type: 'message', id: '0001', room: 'lobby', from: 'bob', text: 'x' });
    await settle();
    const stored = c.send('stored before the drop');
    const lost = c.send('never arrived');
    ws1.drop(1006);
    await settle();
    await clock.advance(1);
    const ws2 = FakeWebSocket.last;
    assert.equal(FakeWebSocket.instances.length, 2, 'reconnected');
    ws2.welcome();
    ws2.receive({ type: 'message', id: '0002', room: 'lobby', from: 'alice', text: 'stored before the drop' });
    await settle();
    ws2.pongAll();
    await settle();
    assert.equal((await stored).id, '0002');
    const resent = ws2.framesOf('message');
    assert.deepEqual(resent.map((f) => f.text), ['never arrived']);
    ws2.receive({ type: 'ack', ref: resent[0].ref, id: '0003' });
    assert.equal((await lost).id, '0003');
  });

  test('no reconnect after 4001, 4002, 1009 or a user close; the close says why', async () => {
    for (const code of [4001, 4002, 1009]) {
      FakeWebSocket.reset();
      const c = client();
      const closes = collect(c, 'close');
      await openReady(c);
      const pending = assert.rejects(c.send('hi'));
      FakeWebSocket.last.drop(code, 'reason');
      await settle();
      assert.equal(c.state, 'closed', String(code));
      assert.equal(closes[0].willReconnect, false);
      assert.equal(closes[0].explanation, CLOSE_CODES[code].text);
      await pending;
      assert.equal(clock.pending, 0, `${code}: no timer left`);
      await clock.advance(60_000);
      assert.equal(FakeWebSocket.instances.length, 1, `${code}: no new socket`);
    }
    FakeWebSocket.reset();
    const c = client();
    const closes = collect(c, 'close');
    await openReady(c);
    c.close();
    await settle();
    assert.equal(c.state, 'closed');
    assert.equal(closes[0].code, 1000);
    assert.equal(closes[0].userInitiated, true);
    assert.equal(FakeWebSocket.instances.length, 1);
  });

  test('a refused first handshake (1006) is reported, not retried; later drops are retried', async () => {
    const c = client({ protocols: ['nope'] });
    const closes = collect(c, 'close');
    c.connect();
    FakeWebSocket.last.drop(1006);
    await settle();
    assert.equal(c.state, 'closed');
    assert.equal(closes[0].code, 1006);
    assert.equal(closes[0].willReconnect, false);

    FakeWebSocket.reset();
    const d = client();
    await openReady(d);
    FakeWebSocket.last.drop(1006);
    await settle();
    assert.equal(d.state, 'reconnecting');
    await clock.advance(1);
    assert.equal(FakeWebSocket.instances.length, 2, 'retried');
    assert.equal(d.state, 'connecting');
  });

  test('backs off between failed attempts and resets after a welcome', async () => {
    const c = client({ reconnect: { initialDelay: 1, maxDelay: 8, factor: 2, jitter: 0 } });
    const states = collect(c, 'state');
    await openReady(c);
    FakeWebSocket.last.drop(1011);
    await settle();
    for (let i = 2; i <= 5; i += 1) {
      const { delay } = states.at(-1);
      await clock.advance(delay - 1);
      assert.equal(FakeWebSocket.instances.length, i - 1, `attempt ${i} waits ${delay} ms`);
      await clock.advance(1);
      assert.equal(FakeWebSocket.instances.length, i, `attempt ${i}`);
      if (i < 5) {
        FakeWebSocket.last.drop(1006);
        await settle();
      }
    }
    const delays = states.filter((s) => s.state === 'reconnecting').map((s) => s.delay);
    assert.deepEqual(delays, [1, 2, 4, 8]);
    const ws = FakeWebSocket.last;
    ws.welcome();
    await settle();
    ws.pongAll();
    await settle();
    assert.equal(c.attempt, 0);
  });

  test('chat: single room, send resolves on its echo, directs and joins are refused', async () => {
    const c = client({ protocols: ['chat'] });
    const ws = await openReady(c, { protocol: 'chat' });
    assert.equal(c.protocol, 'chat');
    const p = c.send('hello');
    ws.receive({ type: 'message', id: '0001', room: 'lobby', from: 'alice', text: 'hello', ts: '2026-01-01T00:00:00Z' });
    assert.equal((await p).id, '0001');
    await assert.rejects(c.direct('bob', 'x'), { code: 'unsupported' });
    await assert.rejects(c.join('dev'), { code: 'unsupported' });
    const bad = c.send('y');
    ws.receive({ type: 'error', code: 'too-long', message: 'too long' });
    await assert.rejects(bad, { code: 'too-long' });
  });

  test('history resolves with the page; a heartbeat nobody answers drops the connection', async () => {
    // The pong deadline (beat + 5) never falls on the next beat (beat + 10).
    const c = client({ pingInterval: 10, pongTimeout: 5 });
    const closes = collect(c, 'close');
    const ws = await openReady(c);
    const h = c.history('lobby', { before: '0100', limit: 2 });
    assert.deepEqual(ws.framesOf('history')[0], { type: 'history', room: 'lobby', before: '0100', limit: 2 });
    ws.receive({ type: 'history', room: 'lobby', messages: [{ type: 'message', id: '0098' }, { type: 'message', id: '0099' }] });
    assert.equal((await h).length, 2);
    const pings = ws.framesOf('ping').length;
    await clock.advance(10);
    assert.equal(ws.framesOf('ping').length, pings + 1, 'a heartbeat ping after pingInterval');
    assert.equal(closes.length, 0);
    await clock.advance(4);
    assert.equal(closes.length, 0, 'not before pongTimeout');
    await clock.advance(1);
    assert.equal(closes.length, 1, 'dropped when its pong did not come within pongTimeout');
    assert.equal(closes[0].code, 1006);
    assert.equal(closes[0].willReconnect, true);
  });

  test('any transport of the documented shape carries the session', async () => {
    // What an SSE or long-polling transport would look like to the client.
    const made = [];
    class ScriptedTransport {
      constructor(endpoint, query) {
        Object.assign(this, { endpoint, query, isOpen: true, isClosed: false, protocol: 'superchat', written: [] });
        this.socket = this;
        made.push(this);
      }

      send(text) { this.written.push(JSON.parse(text)); }

      close() { this.isOpen = false; this.isClosed = true; }
    }
    const c = client({ transport: ScriptedTransport, url: 'http://test/app/chat', since: { lobby: '0041' } });
    const messages = collect(c, 'message');
    c.connect();
    const [t] = made;
    assert.equal(t.endpoint, 'http://test/app/chat');
    assert.deepEqual(t.query, { name: 'alice', room: 'lobby', since: '0041' });
    assert.equal(c.socket, t);
    t.onmessage(JSON.stringify({ type: 'welcome', protocol: 'superchat', name: 'alice', room: 'lobby' }));
    t.onmessage(JSON.stringify({ type: 'joined', room: 'lobby', members: ['alice'] }));
    t.onmessage(JSON.stringify({ type: 'message', id: '0042', room: 'lobby', from: 'bob', text: 'missed' }));
    await settle();
    t.onmessage(JSON.stringify({ type: 'pong' }));
    await settle();
    assert.equal(c.state, 'open');
    assert.deepEqual(messages.map((m) => [m.id, m.replayed]), [['0042', true]]);
    const sent = c.send('over another transport');
    const frame = t.written.find((f) => f.type === 'message');
    assert.equal(frame.text, 'over another transport');
    t.onmessage(JSON.stringify({ type: 'ack', ref: frame.ref, id: '0043' }));
    assert.equal((await sent).id, '0043');
    t.onclose({ code: 1001, reason: 'bye', wasClean: true });
    await settle();
    assert.equal(c.state, 'reconnecting');
    await clock.advance(1);
    assert.deepEqual(made[1].query, { name: 'alice', room: 'lobby', since: '0042' }, 'resumes where it was');
  });

  test('writes are paced inside the rate limit; a rate-limited send is sent again', async () => {
    const c = client();
    const ws = await openReady(c);
    const before = ws.sent.length;
    const sends = Array.from({ length: 60 }, (_, i) => c.send(`m${i}`));
    const burst = ws.sent.length - before;
    assert.ok(burst >= 20 && burst <= 30, `first burst ${burst} stays under messageBurst 40`);
    await clock.advance(1000);
    const inASecond = ws.framesOf('message').length - burst;
    assert.ok(inASecond >= 1 && inASecond <= 20, `${inASecond} more in the next second stay under messagesPerSecond 20`);
    await clock.advance(3000);
    assert.equal(ws.framesOf('message').length, 60, 'all sent in the end');

    // The server refused one frame (no ref says which): after the pause and a ping, the send
    // that was never answered goes out again; answered ones do not.
    const seen = ws.framesOf('message');
    for (const f of seen.slice(0, 59)) {
      ws.receive({ type: 'message', id: `0${f.text.slice(1).padStart(3, '0')}`, room: 'lobby', from: 'alice', text: f.text });
      ws.receive({ type: 'ack', ref: f.ref, id: `0${f.text.slice(1).padStart(3, '0')}` });
    }
    ws.receive({ type: 'error', code: 'rate-limited', message: 'slow down', retryAfterMs: 60 });
    await settle();
    const pings = ws.framesOf('ping').length;
    await clock.advance(59);
    assert.equal(ws.framesOf('ping').length, pings, 'no probe before retryAfterMs');
    // The probe is paced like any frame, and the bucket was emptied: a few ms more.
    await clock.advance(41);
    assert.equal(ws.framesOf('ping').length, pings + 1, 'probe ping after retryAfterMs');
    ws.pongAll();
    await settle();
    await clock.advance(1000);
    assert.equal(ws.framesOf('message').length, 61, 'the dropped send went out again');
    const again = ws.framesOf('message')[60];
    assert.equal(again.text, 'm59');
    ws.receive({ type: 'ack', ref: again.ref, id: '0059' });
    const results = await Promise.all(sends);
    assert.equal(results.length, 60);
  });
});
