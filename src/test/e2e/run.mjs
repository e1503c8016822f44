// End-to-end tests of the Duplex page in headless Debian Chromium (driven by playwright-core)
// against target/duplex.war on Payara Micro, preceded by the unit tests of duplex.js.
//
//   node src/test/e2e/run.mjs            (after mvn verify / mvn -DskipTests package)
//
// Prints one line per test and finally "N passed, M failed"; exits 1 if anything failed.
// Screenshots go to target/e2e/screenshots/ (DUPLEX_SCREENSHOTS=<dir> writes them there too).

import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join as pathJoin } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CLOSE_CODES } from '../../../webapp/duplex.js';
import { PayaraServer, REPO, pickPort } from './lib/server.mjs';

const SUITE_BUDGET_MS = 170_000;
const TEST_TIMEOUT_MS = 60_000;
const WAIT_MS = 10_000;
const OUT = pathJoin(REPO, 'target', 'e2e');
const SHOTS = pathJoin(OUT, 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const started = Date.now();

let passed = 0;
let failed = 0;
const log = (line) => process.stdout.write(`${line}\n`);

// ---------------------------------------------------------------------------
// unit tests (node --test), counted with the rest

function runUnitTests() {
  if (process.env.E2E_ONLY) return;
  const res = spawnSync(process.execPath, ['--test', '--test-timeout=20000', pathJoin(dirname(fileURLToPath(import.meta.url)), 'unit')], {
    encoding: 'utf8', timeout: 60_000,
  });
  const out = `${res.stdout || ''}${res.stderr || ''}`;
  const pass = Number((out.match(/^# pass (\d+)/m) || [])[1] || 0);
  const fail = Number((out.match(/^# fail (\d+)/m) || [])[1] || 0)
    + Number((out.match(/^# cancelled (\d+)/m) || [])[1] || 0);
  for (const line of out.split('\n')) {
    if (/^\s*(not )?ok \d+ - /.test(line) && !/^\s*ok \d+ - (close codes|helpers|DuplexClient)$/.test(line)) {
      log(`unit: ${line.trim()}`);
    }
  }
  if (fail > 0 || res.status !== 0) {
    log(out.split('\n').filter((l) => /not ok|error:|expected|actual/.test(l)).slice(0, 40).join('\n'));
  }
  passed += pass;
  failed += fail;
  if (res.status !== 0 && fail === 0) {
    failed += 1;
    log(`not ok - unit tests exited with ${res.status ?? res.signal}`);
  }
}

// ---------------------------------------------------------------------------
// helpers

/** Polls `fn` until it returns something truthy; bounded. */
async function until(fn, what, timeoutMs = WAIT_MS) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? ` (${last.message})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

function assertEqual(actual, expected, message) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${message}\n  expected ${e}\n  actual   ${a}`);
}

let browser;
let server;
const contexts = new Set();
const pageErrors = [];

async function newPage({ viewport = { width: 1200, height: 800 }, label = 'page' } = {}) {
  const context = await browser.newContext({ viewport, locale: 'en-GB', timezoneId: 'Europe/Berlin' });
  contexts.add(context);
  context.setDefaultTimeout(WAIT_MS);
  const page = await context.newPage();
  page.on('pageerror', (err) => pageErrors.push(`${label}: ${err.message}`));
  page.on('dialog', (d) => { pageErrors.push(`${label}: unexpected dialog "${d.message()}"`); d.dismiss().catch(() => {}); });
  await page.goto(server.base);
  return page;
}

async function closePage(page) {
  const context = page.context();
  contexts.delete(context);
  await context.close();
}

/** Opens the page and connects through the form. */
async function join(name, { room = 'lobby', protocol = 'superchat', viewport } = {}) {
  const page = await newPage({ viewport, label: name });
  await page.fill('#name', name);
  await page.fill('#room', room);
  await page.check(`#protocol-${protocol}`);
  await page.click('#connect');
  await page.waitForSelector('#badge[data-state="open"]');
  return page;
}

/** Types into the composer and presses Enter, as a person would. */
async function say(page, text) {
  await page.fill('#composer', text);
  await page.press('#composer', 'Enter');
}

/** Texts of the messages shown in the open conversation. */
function shownTexts(page) {
  return page.$$eval('#log li.msg:not(.pending) .text', (nodes) => nodes.map((n) => n.textContent));
}

function shownIds(page) {
  return page.$$eval('#log li.msg[data-id]', (nodes) => nodes.map((n) => n.dataset.id));
}

async function waitForText(page, text, what) {
  await until(async () => (await shownTexts(page)).includes(text), `${what}: "${text}"`);
}

async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  const file = pathJoin(SHOTS, name);
  await page.screenshot({ path: file });
  if (process.env.DUPLEX_SCREENSHOTS) {
    mkdirSync(process.env.DUPLEX_SCREENSHOTS, { recursive: true });
    copyFileSync(file, pathJoin(process.env.DUPLEX_SCREENSHOTS, name));
  }
}

async function closeInfo(page) {
  return page.evaluate(() => {
    const box = document.querySelector('#close-info');
    return {
      hidden: box.hidden,
      code: Number(box.dataset.code),
      reconnect: box.dataset.reconnect,
      title: document.querySelector('#close-title').textContent,
      explanation: document.querySelector('#close-explanation').textContent,
      reason: document.querySelector('#close-reason').textContent,
    };
  });
}

async function expectClose(page, code, { reconnect = false, reason } = {}) {
  let seen = null;
  const info = await until(async () => {
    seen = await closeInfo(page);
    return !seen.hidden && seen.code === code ? seen : null;
  }, `close ${code} explained`).catch((err) => { throw new Error(`${err.message}; the page shows ${JSON.stringify(seen)}`); });
  assertEqual(info.explanation, CLOSE_CODES[code].text, `explanation of ${code}`);
  assert(info.title.includes(String(code)) && info.title.includes(CLOSE_CODES[code].name), `title names ${code}: ${info.title}`);
  assertEqual(info.reconnect, String(reconnect), `${code} reconnect`);
  if (reason) assert(info.reason.includes(reason), `reason "${info.reason}" mentions "${reason}"`);
  return info;
}

// ---------------------------------------------------------------------------
// the tests

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

test('two browser contexts chat in a room', async () => {
  const alice = await join('alice', { room: 'e2e-chat' });
  const bob = await join('bob', { room: 'e2e-chat' });
  assertEqual(await alice.textContent('#negotiated'), 'superchat', 'badge shows the negotiated sub-protocol');
  await until(async () => (await alice.$$eval('#member-list li', (l) => l.map((n) => n.dataset.name))).join() === 'alice,bob',
    'alice sees bob in the members list');
  await say(alice, 'Hello bob!');
  await waitForText(bob, 'Hello bob!', 'bob gets alice\'s message');
  await say(bob, 'Hi alice 👋');
  await waitForText(alice, 'Hi alice 👋', 'alice gets bob\'s reply');
  const own = await alice.$eval('#log li.msg.own:not(.pending)', (li) => li.querySelector('.text').textContent);
  assertEqual(own, 'Hello bob!', 'own message is marked as own');
  const time = await bob.$eval('#log li.msg[data-from="alice"] time', (t) => ({ text: t.textContent, iso: t.dateTime }));
  assert(/^\d{2}:\d{2}$/.test(time.text) && time.iso.endsWith('Z'), `timestamp in the locale's format: ${JSON.stringify(time)}`);
  assertEqual(await alice.evaluate(() => document.activeElement.id), 'composer', 'focus stays in the composer after Enter');
  await closePage(alice);
  await until(async () => (await bob.$$eval('#member-list li', (l) => l.map((n) => n.dataset.name))).join() === 'bob',
    'presence: alice leaves bob\'s members list');
  await closePage(bob);
});

test('a notice appears in both pages', async () => {
  const alice = await join('alice', { room: 'e2e-notice' });
  const bob = await join('bob', { room: 'e2e-notice-2' });
  const text = 'Maintenance at 18:00 UTC <b>not bold</b>';
  await server.notice(text);
  for (const page of [alice, bob]) {
    await page.waitForSelector('#notice-banner:not([hidden])');
    assertEqual(await page.textContent('#notice-text'), text, 'banner shows the notice as text');
    await until(async () => (await page.$$eval('#log li.notice .text', (n) => n.map((x) => x.textContent))).includes(text), 'notice in the log');
    assertEqual(await page.$$eval('#notice-banner b', (n) => n.length), 0, 'no markup from the notice');
  }
  await alice.click('#notice-dismiss');
  await alice.waitForSelector('#notice-banner[hidden]', { state: 'attached' });
  await closePage(alice);
  await closePage(bob);
});

test('a message with markup is shown as text and runs nothing', async () => {
  const alice = await join('mallory', { room: 'e2e-xss' });
  const bob = await join('bob', { room: 'e2e-xss' });
  const payloads = [
    '<img src=x onerror="window.__pwned = (window.__pwned || 0) + 1">',
    '<script>window.__pwned = 99<\/script>',
    '"><svg onload="window.__pwned = 7">',
  ];
  for (const p of payloads) await say(alice, p);
  for (const p of payloads) await waitForText(bob, p, 'payload shown verbatim');
  for (const page of [alice, bob]) {
    const counts = await page.evaluate(() => ({
      img: document.querySelectorAll('#log img').length,
      script: document.querySelectorAll('#log script').length,
      svg: document.querySelectorAll('#log svg').length,
      pwned: window.__pwned ?? null,
    }));
    assertEqual(counts, { img: 0, script: 0, svg: 0, pwned: null }, 'nothing was created or run');
  }
  await closePage(alice);
  await closePage(bob);
});

test('rooms, direct messages, typing indicator and unread counts', async () => {
  const alice = await join('alice', { room: 'e2e-rooms' });
  const bob = await join('bob', { room: 'e2e-rooms' });
  // bob joins a second room from the sidebar
  await bob.fill('#join-room', 'e2e-side');
  await bob.press('#join-room', 'Enter');
  await bob.waitForSelector('#room-list button[data-room="e2e-side"][aria-current="true"]');
  assertEqual(await bob.textContent('#conv-title'), '#e2e-side', 'the joined room is open');
  await bob.click('#room-list button[data-room="e2e-rooms"]');

  // typing: shown to the others, not to the typist
  await alice.focus('#composer');
  await alice.keyboard.type('thinking', { delay: 40 });
  await until(async () => (await bob.textContent('#typing')) === 'alice is typing…', 'bob sees alice typing');
  assertEqual(await bob.$eval('#member-list li[data-name="alice"]', (li) => li.textContent.includes('typing')), true, 'typing shown in members');
  await alice.fill('#composer', '');

  // unread counts: alice posts in the room while bob looks at the other room
  await bob.click('#room-list button[data-room="e2e-side"]');
  await say(alice, 'one');
  await say(alice, 'two');
  await until(async () => (await bob.getAttribute('#room-list button[data-room="e2e-rooms"] .unread', 'data-unread').catch(() => null)) === '2',
    'two unread in e2e-rooms');
  await bob.click('#room-list button[data-room="e2e-rooms"]');
  assertEqual(await bob.$$eval('#room-list button[data-room="e2e-rooms"] .unread', (n) => n.length), 0, 'unread cleared when opened');

  // direct message from the members list
  await alice.click('#member-list li[data-name="bob"] button[data-dm-to="bob"]');
  await alice.waitForSelector('#dm-list button[data-dm="bob"][aria-current="true"]');
  await say(alice, 'psst, only for you');
  await waitForText(alice, 'psst, only for you', 'alice sees her own direct');
  await until(async () => (await bob.getAttribute('#dm-list button[data-dm="alice"] .unread', 'data-unread').catch(() => null)) === '1',
    'bob has one unread direct');
  await bob.click('#dm-list button[data-dm="alice"]');
  await waitForText(bob, 'psst, only for you', 'bob reads the direct');
  await say(bob, 'got it');
  await waitForText(alice, 'got it', 'alice gets the answer');
  const inRoom = await bob.evaluate(() => document.querySelector('#conv-title').textContent);
  assertEqual(inRoom, 'alice', 'the direct conversation is titled with the peer');

  // leaving a room
  await bob.click('#room-list button[data-room="e2e-side"]');
  await bob.click('#leave-room');
  await until(async () => (await bob.$$eval('#room-list button[data-room]', (b) => b.map((x) => x.dataset.room))).join() === 'e2e-rooms',
    'e2e-side left');
  await closePage(alice);
  await closePage(bob);
});

test('a fresh connect shows the latest 50 without duplicates; older ones on request', async () => {
  const alice = await join('alice', { room: 'e2e-history' });
  await alice.evaluate(async () => {
    const c = window.duplexApp.client;
    await Promise.all(Array.from({ length: 60 }, (_, i) => c.send(`h${String(i).padStart(2, '0')}`)));
  });
  await waitForText(alice, 'h59', 'all 60 sent');
  // disconnect and connect again as the same person: nothing is shown twice
  await alice.click('#disconnect');
  await expectClose(alice, 1000);
  await alice.click('#connect');
  await alice.waitForSelector('#badge[data-state="open"]');
  const ids = await shownIds(alice);
  assertEqual(ids.length, new Set(ids).size, 'no message id shown twice');
  assertEqual(ids.length, 60, 'still 60 messages');

  const carol = await join('carol', { room: 'e2e-history' });
  await until(async () => (await shownIds(carol)).length === 50, 'carol gets the latest 50');
  assertEqual((await shownTexts(carol))[0], 'h10', 'oldest of the latest 50');
  await carol.click('#load-older');
  await until(async () => (await shownIds(carol)).length === 60, 'carol loads the 10 older ones');
  assertEqual((await shownTexts(carol))[0], 'h00', 'oldest first');
  const all = await shownTexts(carol);
  assertEqual(all, [...all].sort(), 'in order');
  await closePage(alice);
  await closePage(carol);
});

test('chat sub-protocol degrades gracefully', async () => {
  const dave = await join('dave', { room: 'e2e-basic', protocol: 'chat' });
  assertEqual(await dave.textContent('#negotiated'), 'chat', 'badge shows chat');
  assert(await dave.isVisible('#protocol-note'), 'the page explains what chat lacks');
  assert(await dave.isDisabled('#join-room'), 'no joining rooms on chat');
  await say(dave, 'plain and simple');
  await waitForText(dave, 'plain and simple', 'chat message echoed');
  await until(async () => (await dave.$$eval('#log li.pending', (n) => n.length)) === 0, 'send settled on its echo');
  await closePage(dave);
});

test('the server restarts: pages reconnect by themselves, miss nothing and show nothing twice', async () => {
  const room = 'e2e-resume';
  const alice = await join('alice', { room });
  const bob = await join('bob', { room });
  for (const t of ['before 1', 'before 2', 'before 3']) await say(bob, t);
  await waitForText(alice, 'before 3', 'alice is up to date');

  await server.stop();
  for (const page of [alice, bob]) {
    await expectClose(page, 1001, { reconnect: true, reason: 'server shutting down' });
    await page.waitForSelector('#badge[data-state="reconnecting"], #badge[data-state="connecting"]');
  }
  await shot(alice, 'reconnecting.png');
  // alice writes while the server is away: queued, sent after the reconnect
  await say(alice, 'written while offline');
  await alice.waitForSelector('#log li.pending[data-status="queued"]');
  // alice's network is down too, so she is still away while bob talks after the restart
  await alice.context().setOffline(true);
  await server.start();
  await bob.waitForSelector('#badge[data-state="open"]', { timeout: 30_000 });
  const during = Array.from({ length: 5 }, (_, i) => `while alice was away ${i + 1}`);
  for (const t of during) await say(bob, t);
  await waitForText(bob, during[4], 'bob\'s messages are stored');
  assert((await alice.getAttribute('#badge', 'data-state')) !== 'open', 'alice was still reconnecting while bob posted');
  await alice.context().setOffline(false);
  await alice.waitForSelector('#badge[data-state="open"]', { timeout: 30_000 });
  await waitForText(alice, 'written while offline', 'alice\'s queued message was delivered');
  await waitForText(bob, 'written while offline', 'bob got it');

  const expected = ['before 1', 'before 2', 'before 3', ...during, 'written while offline'];
  for (const page of [alice, bob]) {
    await until(async () => JSON.stringify(await shownTexts(page)) === JSON.stringify(expected), 'every message once, in order', 5000)
      .catch(async (err) => { throw new Error(`${err.message}: ${JSON.stringify(await shownTexts(page))}`); });
    const ids = await shownIds(page);
    assertEqual(ids.length, new Set(ids).size, 'ids unique');
  }
  assert(await alice.isHidden('#close-info'), 'the close explanation goes away once back');
  assert((await alice.$$eval('#log li.system', (n) => n.map((x) => x.textContent))).some((t) => /caught up on 5 messages/.test(t)),
    'alice is told what she caught up on');
  await closePage(alice);
  await closePage(bob);
});

test('each close the page can provoke shows its explanation', async () => {
  // 1000: the user disconnects; no reconnect
  const page = await join('erin', { room: 'e2e-close' });
  await page.click('#disconnect');
  await expectClose(page, 1000);
  assertEqual(await page.evaluate(() => window.duplexApp.client.state), 'closed', '1000: stays closed');

  // 4001: a name the server refuses (the form would not allow it; the library sends it)
  await page.evaluate(() => window.duplexApp.connect({ name: 'x'.repeat(40), room: 'e2e-close' }));
  await expectClose(page, 4001, { reason: 'name' });
  assertEqual(await page.evaluate(() => window.duplexApp.client.state), 'closed', '4001: not retried');

  // no common sub-protocol: the browser itself fails the handshake and reports 1006
  await page.evaluate(() => window.duplexApp.connect({ name: 'erin', room: 'e2e-close', protocols: ['nope'] }));
  await expectClose(page, 1006);
  assertEqual(await page.evaluate(() => window.duplexApp.client.state), 'closed', 'refused handshake: not retried');

  // 1009: a frame over 64 KiB
  await page.evaluate(() => window.duplexApp.connect({ name: 'erin', room: 'e2e-close' }));
  await page.waitForSelector('#badge[data-state="open"]');
  await page.evaluate(() => window.duplexApp.client.socket.send(JSON.stringify({ type: 'message', text: 'x'.repeat(70000) })));
  await expectClose(page, 1009);
  await shot(page, 'closed.png');
  await closePage(page);
  // 1001 is covered by the restart test; the other codes' texts by the unit tests.
});

test('phone-sized screen: drawers, labels and keyboard', async () => {
  const phone = { width: 390, height: 844 };
  const alice = await join('alice', { room: 'e2e-phone', viewport: phone });
  const bob = await join('bob', { room: 'e2e-phone' });
  await say(bob, 'hello phone');
  await waitForText(alice, 'hello phone', 'message on the phone');
  const overflow = await alice.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  assertEqual(overflow, false, 'no horizontal scrolling');
  assert(await alice.isHidden('#sidebar') || !(await alice.isVisible('#sidebar')), 'rooms sidebar folded away');
  await alice.click('#toggle-sidebar');
  assertEqual(await alice.getAttribute('#toggle-sidebar', 'aria-expanded'), 'true', 'toggle is expanded');
  await alice.waitForSelector('#sidebar #room-list button[data-room="e2e-phone"]', { state: 'visible' });
  await alice.keyboard.press('Escape');
  assertEqual(await alice.getAttribute('#toggle-sidebar', 'aria-expanded'), 'false', 'Escape closes the drawer');
  // every control has an accessible name
  const unnamed = await alice.evaluate(() => [...document.querySelectorAll('button, input, textarea')]
    .filter((n) => n.offsetParent !== null)
    .filter((n) => !(n.getAttribute('aria-label') || n.labels?.length || n.textContent.trim() || n.getAttribute('aria-labelledby')))
    .map((n) => n.id || n.outerHTML.slice(0, 60)));
  assertEqual(unnamed, [], 'controls without an accessible name');
  await closePage(alice);
  await closePage(bob);
});

test('screenshots of the main screens', async () => {
  const room = 'general';
  const bob = await join('bob', { room });
  const carol = await join('carol', { room });
  const alice = await join('alice', { room });
  await carol.fill('#join-room', 'design');
  await carol.press('#join-room', 'Enter');
  await carol.waitForSelector('#room-list button[data-room="design"]');
  await carol.click('#room-list button[data-room="general"]');
  await alice.fill('#join-room', 'design');
  await alice.press('#join-room', 'Enter');
  await alice.waitForSelector('#room-list button[data-room="design"][aria-current="true"]');
  await say(carol, 'The new icons are in the shared folder 🎨');
  await alice.click('#room-list button[data-room="general"]');
  await say(bob, 'Morning all! Standup in 10 minutes.');
  await say(alice, 'Morning! I\'ll share the release notes there.');
  await say(carol, 'Sounds good. Can someone review my PR before lunch?');
  await say(bob, 'On it 👍');
  await waitForText(alice, 'On it 👍', 'conversation');
  await carol.click('#member-list li[data-name="alice"] button[data-dm-to="alice"]');
  await say(carol, 'Thanks for covering for me yesterday!');
  await until(async () => (await alice.$$eval('#dm-list button[data-dm="carol"] .unread', (n) => n.length)) === 1, 'dm unread');
  await server.notice('Maintenance tonight at 22:00 UTC — expect a short reconnect.');
  await alice.waitForSelector('#notice-banner:not([hidden])');
  await bob.focus('#composer');
  await bob.keyboard.type('Sure, send the l', { delay: 20 });
  await until(async () => (await alice.textContent('#typing')).includes('bob'), 'typing shown');
  await alice.evaluate(() => document.activeElement?.blur());
  await shot(alice, 'chat-desktop.png');

  const phone = await join('dana', { room, viewport: { width: 390, height: 844 } });
  await say(bob, 'Welcome dana!');
  await waitForText(phone, 'Welcome dana!', 'phone message');
  await phone.click('#member-list li[data-name="bob"] button[data-dm-to="bob"]').catch(async () => {
    await phone.click('#toggle-members');
    await phone.click('#member-list li[data-name="bob"] button[data-dm-to="bob"]');
  });
  await phone.click('#toggle-sidebar');
  await phone.click('#room-list button[data-room="general"]');
  await bob.focus('#composer');
  await bob.keyboard.type('typing again', { delay: 20 });
  await until(async () => (await phone.textContent('#typing')).includes('bob'), 'typing on phone');
  await phone.evaluate(() => document.activeElement?.blur());
  await shot(phone, 'chat-phone.png');
  await phone.click('#toggle-members');
  await phone.waitForSelector('#members-panel #member-list li[data-name="bob"]', { state: 'visible' });
  await phone.waitForTimeout(300); // the drawer's slide-in transition, for the picture only
  await shot(phone, 'chat-phone-members.png');
  for (const p of [alice, bob, carol, phone]) await closePage(p);
});

// ---------------------------------------------------------------------------

async function main() {
  runUnitTests();
  const port = await pickPort();
  server = new PayaraServer({ port, logDir: pathJoin(OUT, 'logs') });
  log(`e2e: Payara Micro on port ${port}, ${server.war}`);
  try {
    await server.start();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
        '--no-first-run', '--disable-component-update', '--disable-sync'],
      timeout: 30_000,
    });
    const only = process.env.E2E_ONLY;
    for (const { name, fn } of tests.filter((t) => !only || t.name.includes(only))) {
      if (Date.now() - started > SUITE_BUDGET_MS) {
        failed += 1;
        log(`not ok - ${name}: suite time budget exhausted`);
        continue;
      }
      const t0 = Date.now();
      const errorsBefore = pageErrors.length;
      try {
        if (!server.child) await server.start();
        let timer;
        await Promise.race([
          fn(),
          new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`test timed out after ${TEST_TIMEOUT_MS} ms`)), TEST_TIMEOUT_MS); }),
        ]).finally(() => clearTimeout(timer));
        const errors = pageErrors.slice(errorsBefore);
        if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
        passed += 1;
        log(`ok - ${name} (${Date.now() - t0} ms)`);
      } catch (err) {
        failed += 1;
        log(`not ok - ${name} (${Date.now() - t0} ms)\n  ${String(err && err.stack ? err.stack : err).split('\n').slice(0, 6).join('\n  ')}`);
      } finally {
        for (const context of contexts) await context.close().catch(() => {});
        contexts.clear();
      }
    }
  } catch (err) {
    failed += 1;
    log(`not ok - e2e set-up: ${err && err.message ? err.message : err}`);
  } finally {
    if (browser) await browser.close().catch(() => {});
    await server.stop();
  }
  log(`e2e: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  log(`${passed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
}

main();
