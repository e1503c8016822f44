// The Duplex chat page: the wiring. All protocol work is in duplex.js, the model in app-state.js
// and the drawing in app-view.js; this file turns a DuplexClient's events and the page's controls
// into changes of the model and redraws what they touch.

import {
  DuplexClient,
  protocolsFor,
  validateName,
  validateRoom,
} from './duplex.js';
import { ChatState, HISTORY_PAGE, asText } from './app-state.js';
import { createView } from './app-view.js';

// Helpers that earlier versions of this module exported.
export {
  CLOSE_CODES, closeCodeName, explainCloseCode, explainClose, validateName, validateRoom, protocolsFor,
  parseFrame, decodeData, readFrame, formatTime, buildSocketUrl,
} from './duplex.js';

const TYPING_SHOWN_MS = 4000;
const TYPING_SEND_EVERY_MS = 2000;

function mount(root) {
  const state = new ChatState();
  const view = createView(root, state, { openConversation, openDm });
  const { ui } = view;
  let lastTypingSent = 0;

  // ---- the model changes, then the page --------------------------------------

  function ensureConv(kind, name) {
    const [c, created] = state.ensureConv(kind, name);
    if (created) view.renderConvList();
    return c;
  }

  function addItem(c, item) {
    const at = state.addItem(c, item);
    if (at < 0) return null;
    view.showItem(c, item, at);
    return item;
  }

  function removeItem(c, item) {
    view.hideItem(c, item, state.removeItem(c, item));
  }

  function system(c, text, cls = '') {
    if (!c) return null;
    return addItem(c, { type: 'system', text, cls });
  }

  function activate(key) {
    if (state.activate(key)) view.renderActive();
  }

  function bump(c, item) {
    if (state.bump(c, item, { pageVisible: document.visibilityState !== 'hidden' })) view.renderConvList();
  }

  function openConversation(key) {
    activate(key);
    view.closeDrawers();
    ui.composer.focus();
  }

  function openDm(name) {
    if (state.protocol !== 'superchat' || name === state.me) return;
    openConversation(ensureConv('dm', name).key);
  }

  function dropPending(ref) {
    const found = state.findPending(ref);
    if (found) removeItem(found.c, found.item);
  }

  function markFailed(item, text) {
    item.status = 'failed';
    item.statusText = text;
    view.updatePendingNode(item);
  }

  // ---- wiring a client -------------------------------------------------------

  function connect({ name, room, protocols }) {
    if (state.client && state.client.state !== 'closed' && state.client.state !== 'idle') return state.client;
    const sameUser = name === state.me && state.convs.size > 0;
    if (!sameUser) {
      state.clear();
      view.renderConvList();
      view.renderLog();
    }
    const { since, rooms } = sameUser ? state.resumePoints(room) : { since: {}, rooms: [] };
    state.me = name;
    state.protocol = '';
    state.caughtUp = 0;
    view.hideCloseInfo();
    state.retryCycle = false;
    const c = new DuplexClient({ name, room, protocols, rooms, since });
    state.client = c;
    wire(c);
    ensureConv('room', room);
    if (!state.active || !state.activeConv) activate(`room:${room}`);
    view.setView('chat');
    view.renderName();
    try { localStorage.setItem('duplex.name', name); } catch { /* storage may be off */ }
    system(state.room(room), `Connecting to #${room} as ${name}…`, 'status-line');
    c.connect();
    return c;
  }

  function wire(c) {
    const mine = () => state.client === c;
    c.on('state', (d) => {
      if (!mine()) return;
      view.renderState(d.state, d);
    });

    c.on('welcome', (f) => {
      if (!mine()) return;
      state.protocol = c.protocol;
      state.me = c.name;
      view.renderName();
      view.renderProtocol();
      const roomConv = ensureConv('room', f.room);
      roomConv.joined = true;
      if (state.protocol === 'chat') {
        // One room only on chat: forget rooms from an earlier superchat connection.
        for (const other of state.roomConvs()) if (other !== roomConv) state.convs.delete(other.key);
        for (const dm of state.dmConvs()) state.convs.delete(dm.key);
        if (!state.activeConv) activate(roomConv.key);
      }
      state.caughtUp = 0;
      if (f.resumed) system(roomConv, `Reconnected as ${state.me} (${state.protocol}); catching up…`, 'status-line');
      else system(roomConv, `Connected to #${f.room} as ${state.me} · sub-protocol ${state.protocol}`, 'status-line');
      view.renderConvList();
      view.renderHeader();
      view.renderMembers();
    });

    c.on('ready', (d) => {
      if (!mine()) return;
      state.retryCycle = false;
      view.hideCloseInfo();
      if (d.resumed) {
        const c0 = state.activeConv && state.activeConv.kind === 'room' ? state.activeConv : state.roomConvs()[0];
        const text = state.protocol === 'chat'
          ? 'Back online. (chat does not replay messages sent while you were away.)'
          : state.caughtUp === 0 ? 'Back online — nothing was missed.' : `Back online — caught up on ${state.caughtUp} message${state.caughtUp === 1 ? '' : 's'}.`;
        system(c0, text, 'status-line');
      }
      view.renderState(c.state);
      if (document.activeElement === document.body || document.activeElement === null) ui.composer.focus();
    });

    c.on('joined', (d) => {
      if (!mine()) return;
      const rc = ensureConv('room', d.room);
      const first = !rc.joined && !d.resumed && rc.items.length === 0;
      rc.joined = true;
      rc.members = d.members;
      if (first) system(rc, `You joined #${d.room}.`);
      view.renderConvList();
      if (rc.key === state.active) { view.renderHeader(); view.renderMembers(); }
      else { view.renderHeader(); }
      view.renderDmPresence();
    });

    c.on('left', (d) => {
      if (!mine()) return;
      const rc = state.room(d.room);
      if (!rc) return;
      state.convs.delete(rc.key);
      if (state.active === rc.key) {
        const next = state.roomConvs()[0] || state.dmConvs()[0];
        state.active = null;
        if (next) activate(next.key);
      }
      view.renderConvList();
      view.renderHeader();
      view.renderDmPresence();
    });

    c.on('presence', (f) => {
      if (!mine()) return;
      const rc = state.room(f.room);
      if (!rc) return;
      rc.members = Array.isArray(f.members) ? f.members : rc.members;
      if (f.event === 'leave') rc.typing.delete(f.name);
      system(rc, f.event === 'join' ? `${f.name} joined #${f.room}` : `${f.name} left #${f.room}`, `presence presence-${f.event === 'join' ? 'join' : 'leave'}`);
      if (rc.key === state.active) { view.renderHeader(); view.renderMembers(); view.renderTyping(); }
      view.renderDmPresence();
    });

    c.on('message', (m) => {
      if (!mine()) return;
      const rc = ensureConv('room', m.room);
      if (m.ref) dropPending(m.ref);
      if (m.replayed && !m.history) state.caughtUp += 1;
      const item = addItem(rc, {
        type: 'message', id: m.id == null ? null : String(m.id), from: asText(m.from), text: asText(m.text),
        ts: asText(m.ts), own: m.own, history: m.history,
      });
      if (!item) return;
      if (rc.typing.has(item.from)) {
        clearTimeout(rc.typing.get(item.from));
        rc.typing.delete(item.from);
        if (rc.key === state.active) { view.renderTyping(); view.renderMembers(); }
      }
      if (rc.key === state.active) view.renderHeader();
      bump(rc, item);
    });

    c.on('direct', (d) => {
      if (!mine()) return;
      const peer = d.own ? asText(d.to) : asText(d.from);
      const dc = ensureConv('dm', peer);
      if (d.ref) dropPending(d.ref);
      const item = addItem(dc, {
        type: 'direct', id: d.id == null ? null : `d${d.id}`, from: asText(d.from), to: asText(d.to),
        text: asText(d.text), ts: asText(d.ts), own: d.own,
      });
      if (item) bump(dc, item);
    });

    c.on('typing', (t) => {
      if (!mine()) return;
      const rc = state.room(t.room);
      if (!rc || t.from === state.me) return;
      clearTimeout(rc.typing.get(t.from));
      rc.typing.set(t.from, setTimeout(() => {
        rc.typing.delete(t.from);
        if (rc.key === state.active) { view.renderTyping(); view.renderMembers(); }
      }, TYPING_SHOWN_MS));
      if (rc.key === state.active) { view.renderTyping(); view.renderMembers(); }
    });

    c.on('notice', (n) => {
      if (!mine()) return;
      view.showNotice(n);
      for (const rc of state.roomConvs()) {
        addItem(rc, { type: 'notice', id: n.id == null ? null : `n${n.id}`, text: asText(n.text), ts: asText(n.ts) });
      }
    });

    c.on('error', (e) => {
      if (!mine()) return;
      if (e.handled) return; // the send, join or history that caused it shows it
      const target = (e.room && state.room(e.room)) || state.activeConv;
      if (e.code === 'history-gap') {
        system(target, `Some messages of #${e.room} are no longer kept on the server; showing what it still has.`, 'warning');
        return;
      }
      if (target) addItem(target, { type: 'error', code: asText(e.code), text: asText(e.message) });
    });

    c.on('raw', (r) => {
      if (!mine()) return;
      system(state.activeConv, asText(r.text));
    });

    c.on('close', (info) => {
      if (!mine()) return;
      // While reconnecting, failed attempts (usually 1006: nobody answered) keep the explanation
      // of the close that started it all, e.g. 1001 "server shutting down".
      const retrying = state.retryCycle && info.willReconnect;
      state.retryCycle = info.willReconnect;
      if (retrying) {
        view.showRetryAttempts(info.attempt);
        return;
      }
      view.showCloseInfo(info);
      const target = state.activeConv;
      system(target, `Disconnected (code ${info.code}${info.reason ? `: ${info.reason}` : ''}). ${info.explanation}`, 'status-line');
      if (!info.willReconnect) {
        // Not connected any more: nobody is shown as present.
        for (const rc of state.roomConvs()) { rc.members = []; rc.typing.clear(); }
        view.renderHeader();
        view.renderMembers();
        view.renderTyping();
        view.setView(state.convs.size > 0 && state.client.everConnected ? 'closed' : 'connect');
        view.renderState('closed');
        for (const item of state.pendingItems()) {
          if (item.status !== 'failed') markFailed(item, 'Not sent: disconnected.');
        }
        const first = ui.name.value.trim() === '' || info.code === 4001 ? ui.name : ui.connect;
        if (!ui.form.hidden) first.focus();
      } else {
        for (const item of state.pendingItems()) {
          if (item.status === 'sending') { item.status = 'queued'; item.statusText = 'Waiting to reconnect…'; view.updatePendingNode(item); }
        }
      }
    });
  }

  // ---- drawers (narrow screens) -------------------------------------------

  ui.toggleSidebar.addEventListener('click', () => {
    if (ui.app.dataset.drawer === 'sidebar') view.closeDrawers(); else view.openDrawer('sidebar');
  });
  ui.toggleMembers.addEventListener('click', () => {
    if (ui.app.dataset.drawer === 'members') view.closeDrawers(); else view.openDrawer('members');
  });
  ui.closeMembers.addEventListener('click', () => { view.closeDrawers(); ui.toggleMembers.focus(); });
  ui.scrim.addEventListener('click', () => view.closeDrawers());

  // ---- sending ---------------------------------------------------------------

  function sendMessage() {
    const c = state.activeConv;
    if (!state.client || !c || ui.composer.disabled) return;
    const text = ui.composer.value;
    if (text.trim() === '') { ui.composer.focus(); return; }
    const offline = state.client.state !== 'open';
    const promise = c.kind === 'room' ? state.client.send(text, { room: c.name }) : state.client.direct(c.name, text);
    const item = addItem(c, {
      type: 'pending', kindOf: c.kind === 'room' ? 'message' : 'direct', from: state.me, text, own: true,
      ts: new Date().toISOString(),
      status: offline ? 'queued' : 'sending', statusText: offline ? 'Waiting to reconnect…' : 'Sending…',
    });
    promise.then(
      () => { const found = state.conv(c.key) && c.items.includes(item); if (found) removeItem(c, item); },
      (err) => markFailed(item, `Not sent: ${err && err.message ? err.message : err}`),
    );
    item.ref = promise.ref;
    view.updatePendingNode(item);
    ui.composer.value = '';
    lastTypingSent = 0; // the next keystroke starts a new "is typing"
    view.autoGrow();
    ui.composer.focus();
  }

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
  ui.composer.addEventListener('input', () => {
    view.autoGrow();
    const c = state.activeConv;
    if (!state.client || !c || c.kind !== 'room' || ui.composer.value.trim() === '') return;
    const now = Date.now();
    if (now - lastTypingSent < TYPING_SEND_EVERY_MS) return;
    if (state.client.typing(c.name)) lastTypingSent = now;
  });

  // ---- other controls --------------------------------------------------------

  function syncValidity() {
    ui.name.setCustomValidity(validateName(ui.name.value));
    ui.room.setCustomValidity(validateRoom(ui.room.value));
  }
  ui.name.addEventListener('input', syncValidity);
  ui.room.addEventListener('input', syncValidity);

  ui.form.addEventListener('submit', (event) => {
    event.preventDefault();
    syncValidity();
    if (!ui.form.reportValidity()) return;
    const chosen = ui.form.querySelector('input[name="protocol"]:checked')?.value;
    connect({ name: ui.name.value.trim(), room: ui.room.value.trim(), protocols: protocolsFor(chosen) });
  });

  ui.disconnect.addEventListener('click', () => {
    if (state.client) state.client.close('Client disconnected');
  });
  ui.retryNow.addEventListener('click', () => { if (state.client) state.client.retryNow(); });

  ui.joinForm.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!state.client || state.protocol !== 'superchat') return;
    const room = ui.joinRoom.value.trim();
    const problem = validateRoom(room);
    if (problem) {
      ui.joinRoom.setCustomValidity(problem);
      ui.joinRoom.reportValidity();
      return;
    }
    ui.joinRoom.setCustomValidity('');
    const existing = state.room(room);
    if (existing && existing.joined) {
      activate(existing.key);
      ui.joinRoom.value = '';
      view.closeDrawers();
      ui.composer.focus();
      return;
    }
    const rc = ensureConv('room', room);
    activate(rc.key);
    state.client.join(room).then(
      () => { ui.joinRoom.value = ''; view.closeDrawers(); ui.composer.focus(); },
      (err) => {
        if (!rc.joined) { state.convs.delete(rc.key); view.renderConvList(); }
        const back = state.activeConv || state.roomConvs()[0];
        if (back) activate(back.key);
        if (back) addItem(back, { type: 'error', code: asText(err.code), text: `Could not join #${room}: ${err.message}` });
      },
    );
  });
  ui.joinRoom.addEventListener('input', () => ui.joinRoom.setCustomValidity(''));

  ui.leaveRoom.addEventListener('click', () => {
    const c = state.activeConv;
    if (!state.client || !c || c.kind !== 'room') return;
    state.client.leave(c.name).catch(() => {});
  });

  ui.loadOlder.addEventListener('click', () => {
    const c = state.activeConv;
    if (!state.client || !c || c.kind !== 'room') return;
    ui.loadOlder.disabled = true;
    const offset = view.logOffsetFromEnd();
    state.client.history(c.name, { before: state.oldestMessageId(c), limit: HISTORY_PAGE }).then((messages) => {
      view.stopFollowingLog();
      for (const m of messages) {
        addItem(c, { type: 'message', id: String(m.id), from: asText(m.from), text: asText(m.text), ts: asText(m.ts), own: m.from === state.me, history: true });
      }
      if (messages.length < HISTORY_PAGE) c.hasOlder = false;
      view.restoreLogOffset(c, offset);
      view.renderHeader();
    }, (err) => {
      addItem(c, { type: 'error', code: asText(err.code), text: `Could not load earlier messages: ${err.message}` });
    }).finally(() => { ui.loadOlder.disabled = false; });
  });

  ui.bannerDismiss.addEventListener('click', () => {
    view.hideNotice();
    ui.composer.focus();
  });

  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && ui.app.dataset.drawer) {
      const was = view.closeDrawers();
      (was === 'members' ? ui.toggleMembers : ui.toggleSidebar).focus();
      return;
    }
    if (event.altKey && (event.key === 'ArrowUp' || event.key === 'ArrowDown') && state.convs.size > 1) {
      event.preventDefault();
      const keys = state.orderedKeys();
      const at = keys.indexOf(state.active);
      const next = keys[(at + (event.key === 'ArrowDown' ? 1 : keys.length - 1)) % keys.length];
      activate(next);
      ui.composer.focus();
    }
  });

  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && state.active && state.activeConv) {
      state.activeConv.unread = 0;
      view.renderConvList();
    }
  });

  window.addEventListener('pagehide', () => {
    if (state.client) state.client.close('Page closed');
  });

  // Prefill from the address (?name=alice&room=dev&protocol=chat) or the last name used.
  const params = new URLSearchParams(location.search);
  let remembered = '';
  try { remembered = localStorage.getItem('duplex.name') || ''; } catch { /* storage may be off */ }
  ui.name.value = params.get('name') || ui.name.value || remembered;
  if (params.get('room')) ui.room.value = params.get('room');
  if (params.get('protocol') === 'chat') root.querySelector('#protocol-chat').checked = true;
  syncValidity();
  view.setView('connect');
  view.renderState('idle');
  view.closeDrawers();
  if (ui.name.value.trim() === '') ui.name.focus(); else ui.connect.focus();

  // A handle for scripts and end-to-end tests: the live client and a way to connect with
  // options the form does not offer (e.g. another sub-protocol list).
  window.duplexApp = Object.freeze({
    get client() { return state.client; },
    connect: (options) => connect({ room: 'lobby', protocols: protocolsFor('superchat'), ...options }),
  });
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
