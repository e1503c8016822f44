// The Duplex chat page. All protocol work is in duplex.js; this file keeps the conversations
// and draws them. Everything that comes from users or the server is put in the page with
// textContent (never innerHTML), so a message is always shown as text.

import {
  DuplexClient,
  compareIds,
  formatTime,
  protocolsFor,
  validateName,
  validateRoom,
} from './duplex.js';

// Helpers that earlier versions of this module exported.
export {
  CLOSE_CODES, closeCodeName, explainCloseCode, explainClose, validateName, validateRoom, protocolsFor,
  parseFrame, decodeData, readFrame, formatTime, buildSocketUrl,
} from './duplex.js';

const STATE_LABELS = {
  idle: 'not connected',
  connecting: 'connecting',
  open: 'open',
  reconnecting: 'reconnecting',
  closed: 'closed',
};
const TYPING_SHOWN_MS = 4000;
const TYPING_SEND_EVERY_MS = 2000;
const HISTORY_PAGE = 50;

// ---------------------------------------------------------------------------
// small DOM helpers

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function asText(value) {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : String(value);
}

/** A stable colour (one of 8 CSS classes) for a name. */
function hueClass(name) {
  let h = 0;
  for (const ch of asText(name)) h = (h * 31 + ch.codePointAt(0)) >>> 0;
  return `hue-${h % 8}`;
}

function initial(name) {
  const first = [...asText(name).trim()][0];
  return first ? first.toLocaleUpperCase() : '?';
}

function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

function timeEl(ts) {
  if (typeof ts !== 'string' || ts === '') return null;
  const date = new Date(ts);
  if (Number.isNaN(date.getTime())) return null;
  const label = sameDay(date, new Date())
    ? formatTime(ts)
    : date.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  const time = el('time', 'time', label);
  time.dateTime = ts;
  time.title = date.toLocaleString(undefined, { dateStyle: 'full', timeStyle: 'medium' });
  return time;
}

function avatar(name) {
  const a = el('span', `avatar ${hueClass(name)}`, initial(name));
  a.setAttribute('aria-hidden', 'true');
  return a;
}

function listPhrase(names) {
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return `${names.length} people are typing…`;
}

// ---------------------------------------------------------------------------
// the page

function mount(root) {
  const $ = (id) => {
    const node = root.querySelector(`#${id}`) || document.getElementById(id);
    if (!node) throw new Error(`Missing #${id}`);
    return node;
  };
  const ui = {
    app: root,
    form: $('connect-form'),
    name: $('name'),
    room: $('room'),
    connect: $('connect'),
    disconnect: $('disconnect'),
    badge: $('badge'),
    state: $('state'),
    badgeProtocol: $('badge-protocol'),
    negotiated: $('negotiated'),
    me: $('me'),
    meName: $('me-name'),
    banner: $('notice-banner'),
    bannerText: $('notice-text'),
    bannerTime: $('notice-time'),
    bannerDismiss: $('notice-dismiss'),
    closeInfo: $('close-info'),
    closeTitle: $('close-title'),
    closeReasonLine: $('close-reason-line'),
    closeReason: $('close-reason'),
    closeExplanation: $('close-explanation'),
    closeRetryLine: $('close-retry-line'),
    closeRetry: $('close-retry'),
    retryNow: $('retry-now'),
    chat: $('chat'),
    sidebar: $('sidebar'),
    toggleSidebar: $('toggle-sidebar'),
    sidebarUnread: $('sidebar-unread'),
    roomList: $('room-list'),
    joinForm: $('join-form'),
    joinRoom: $('join-room'),
    dmList: $('dm-list'),
    dmEmpty: $('dm-empty'),
    convTitle: $('conv-title'),
    convSub: $('conv-sub'),
    leaveRoom: $('leave-room'),
    toggleMembers: $('toggle-members'),
    toggleMembersCount: $('toggle-members-count'),
    protocolNote: $('protocol-note'),
    loadOlder: $('load-older'),
    log: $('log'),
    typing: $('typing'),
    composerForm: $('composer-form'),
    composer: $('composer'),
    send: $('send'),
    membersPanel: $('members-panel'),
    memberCount: $('member-count'),
    memberList: $('member-list'),
    membersNote: $('members-note'),
    closeMembers: $('close-members'),
    scrim: $('scrim'),
  };

  let client = null;
  let me = '';
  let protocol = '';
  /** key ('room:lobby' | 'dm:bob') → conversation */
  const convs = new Map();
  let active = null;
  let itemSeq = 0;
  let retryTimer = null;
  let lastTypingSent = 0;
  let caughtUp = 0;
  let retryCycle = false;

  // ---- conversations -----------------------------------------------------

  function conv(key) {
    return convs.get(key) || null;
  }

  function ensureConv(kind, name) {
    const key = `${kind}:${name}`;
    let c = convs.get(key);
    if (!c) {
      c = { key, kind, name, items: [], ids: new Set(), unread: 0, members: [], typing: new Map(), hasOlder: true, joined: false };
      convs.set(key, c);
      renderConvList();
    }
    return c;
  }

  function roomConvs() {
    return [...convs.values()].filter((c) => c.kind === 'room');
  }

  function dmConvs() {
    return [...convs.values()].filter((c) => c.kind === 'dm');
  }

  function online(name) {
    return roomConvs().some((c) => c.members.includes(name));
  }

  function convLabel(c) {
    return c.kind === 'room' ? `#${c.name}` : c.name;
  }

  // ---- items ------------------------------------------------------------

  /** Places an item: messages by id (ids increase within a room), everything else at the end. */
  function addItem(c, item) {
    item.key = `i${++itemSeq}`;
    if (item.id != null) {
      if (c.ids.has(item.id)) return null;
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
    if (c.key === active) insertItemNode(c, item, at);
    return item;
  }

  function removeItem(c, item) {
    const at = c.items.indexOf(item);
    if (at >= 0) c.items.splice(at, 1);
    if (item.node) item.node.remove();
    if (c.key === active) refreshGrouping(at);
  }

  function system(c, text, cls = '') {
    if (!c) return null;
    return addItem(c, { type: 'system', text, cls });
  }

  function isContinuation(prev, item) {
    if (!prev || !['message', 'direct'].includes(prev.type) || prev.type !== item.type) return false;
    if (prev.from !== item.from) return false;
    const a = Date.parse(prev.ts);
    const b = Date.parse(item.ts);
    return Number.isFinite(a) && Number.isFinite(b) && b - a < 5 * 60 * 1000;
  }

  function itemNode(item, prev) {
    let li;
    switch (item.type) {
      case 'message':
      case 'direct':
      case 'pending': {
        const own = item.own;
        li = el('li', `msg${own ? ' own' : ''}`);
        li.dataset.kind = item.type === 'pending' ? item.kindOf : item.type;
        if (item.id != null) li.dataset.id = item.id;
        if (item.ref) li.dataset.ref = item.ref;
        li.dataset.from = item.from;
        if (item.type === 'pending') {
          li.classList.add('pending');
          li.dataset.status = item.status;
        }
        if (item.history) li.classList.add('from-history');
        const cont = item.type !== 'pending' && isContinuation(prev, item);
        if (cont) li.classList.add('cont');
        if (!own) li.append(avatar(item.from));
        const bubble = el('div', 'bubble');
        const head = el('div', 'meta');
        head.append(el('span', 'from', own ? 'You' : item.from || 'unknown'));
        if (own) head.append(el('span', 'visually-hidden', ` (${item.from})`));
        const time = timeEl(item.ts);
        if (time) head.append(time);
        bubble.append(head, el('p', 'text', item.text));
        if (item.type === 'pending') {
          bubble.append(el('p', 'status', item.statusText || ''));
        }
        li.append(bubble);
        break;
      }
      case 'notice': {
        li = el('li', 'notice');
        if (item.id != null) li.dataset.id = item.id;
        const head = el('div', 'meta');
        head.append(el('span', 'tag tag-notice', 'Notice'));
        const time = timeEl(item.ts);
        if (time) head.append(time);
        li.append(head, el('p', 'text', item.text));
        break;
      }
      case 'error': {
        li = el('li', 'error');
        li.dataset.code = item.code;
        const head = el('div', 'meta');
        head.append(el('span', 'tag tag-error', 'Error'));
        if (item.code) head.append(el('code', 'code', item.code));
        li.append(head, el('p', 'text', item.text));
        break;
      }
      default:
        li = el('li', `system ${item.cls || ''}`.trim(), item.text);
    }
    li.dataset.key = item.key;
    item.node = li;
    return li;
  }

  function updatePendingNode(item) {
    if (!item.node) return;
    item.node.dataset.status = item.status;
    const status = item.node.querySelector('.status');
    if (status) status.textContent = item.statusText || '';
  }

  // Follow the end of the log only while the reader is there, so scrolling back to read history
  // is not yanked away by every incoming message.
  let followLog = true;
  const logAtEnd = () => ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 48;
  const scrollLogToEnd = () => { ui.log.scrollTop = ui.log.scrollHeight; };
  ui.log.addEventListener('scroll', () => { followLog = logAtEnd(); }, { passive: true });
  if (typeof ResizeObserver === 'function') {
    new ResizeObserver(() => { if (followLog) scrollLogToEnd(); }).observe(ui.log);
  }

  function insertItemNode(c, item, at) {
    const follow = followLog || logAtEnd() || (item.own && item.type !== 'message');
    const prev = at > 0 ? c.items[at - 1] : null;
    const node = itemNode(item, prev);
    const next = c.items[at + 1];
    if (next && next.node && next.node.parentNode === ui.log) ui.log.insertBefore(node, next.node);
    else ui.log.append(node);
    refreshGrouping(at + 1);
    if (follow) {
      scrollLogToEnd();
      followLog = true;
    }
  }

  /** Recomputes the "same sender as above" look of the item at `at`. */
  function refreshGrouping(at) {
    const c = conv(active);
    if (!c) return;
    const item = c.items[at];
    if (!item || !item.node || item.type === 'pending') return;
    item.node.classList.toggle('cont', isContinuation(c.items[at - 1], item));
  }

  function renderLog() {
    const c = conv(active);
    ui.log.replaceChildren();
    if (!c) return;
    let prev = null;
    const nodes = c.items.map((item) => {
      const node = itemNode(item, prev);
      prev = item;
      return node;
    });
    ui.log.append(...nodes);
    scrollLogToEnd();
    followLog = true;
  }

  // ---- sidebar, header, members ------------------------------------------

  function convButton(c) {
    const li = el('li', 'conv-item');
    const button = el('button', 'conv');
    button.type = 'button';
    button.dataset.conv = c.key;
    if (c.kind === 'room') button.dataset.room = c.name;
    else button.dataset.dm = c.name;
    if (c.key === active) button.setAttribute('aria-current', 'true');
    if (c.kind === 'room') {
      button.append(el('span', 'conv-hash', '#'));
      button.append(el('span', 'conv-name', c.name));
    } else {
      const dot = el('span', `presence-dot${online(c.name) ? ' online' : ''}`);
      dot.setAttribute('aria-hidden', 'true');
      button.append(dot, el('span', 'conv-name', c.name));
      button.append(el('span', 'visually-hidden', online(c.name) ? ' (online)' : ' (offline)'));
    }
    if (c.unread > 0) {
      const badge = el('span', 'unread', c.unread > 99 ? '99+' : String(c.unread));
      badge.dataset.unread = String(c.unread);
      badge.setAttribute('aria-label', `${c.unread} unread`);
      button.append(badge);
    }
    button.addEventListener('click', () => {
      activate(c.key);
      closeDrawers();
      ui.composer.focus();
    });
    li.append(button);
    return li;
  }

  function renderConvList() {
    ui.roomList.replaceChildren(...roomConvs().map(convButton));
    const dms = dmConvs();
    ui.dmList.replaceChildren(...dms.map(convButton));
    ui.dmEmpty.hidden = dms.length > 0 || protocol === 'chat';
    ui.dmEmpty.textContent = 'Pick someone under Members to message them privately.';
    const total = [...convs.values()].reduce((n, c) => n + c.unread, 0);
    ui.sidebarUnread.hidden = total === 0;
    document.title = total > 0 ? `(${total}) Duplex chat` : 'Duplex chat';
  }

  function renderHeader() {
    const c = conv(active);
    if (!c) {
      ui.convTitle.textContent = '';
      ui.convSub.textContent = '';
      ui.leaveRoom.hidden = true;
      return;
    }
    ui.convTitle.textContent = convLabel(c);
    ui.convTitle.dataset.conv = c.key;
    if (c.kind === 'room') {
      ui.convSub.textContent = client && client.state === 'closed' ? 'not connected'
        : protocol === 'chat' ? 'basic chat room'
        : `${c.members.length} ${c.members.length === 1 ? 'member' : 'members'} online`;
      ui.leaveRoom.hidden = protocol !== 'superchat' || roomConvs().filter((r) => r.joined).length < 2;
      ui.leaveRoom.setAttribute('aria-label', `Leave #${c.name}`);
    } else {
      ui.convSub.textContent = `direct messages · ${online(c.name) ? 'online' : 'offline'}`;
      ui.leaveRoom.hidden = true;
    }
    // The server sends the latest 50 on join: with fewer than that there is nothing older.
    ui.loadOlder.hidden = !(protocol === 'superchat' && c.kind === 'room' && c.hasOlder
      && c.items.filter((i) => i.type === 'message').length >= HISTORY_PAGE);
    ui.composer.placeholder = composerPlaceholder();
  }

  function composerPlaceholder() {
    const c = conv(active);
    const where = c ? (c.kind === 'room' ? `#${c.name}` : c.name) : '';
    if (client && client.state === 'reconnecting') return `Offline — messages to ${where} will be sent when reconnected`;
    return c ? `Message ${where}` : 'Write a message…';
  }

  function renderMembers() {
    const c = conv(active);
    ui.memberList.replaceChildren();
    ui.membersNote.hidden = true;
    if (!c) return;
    if (protocol === 'chat') {
      ui.memberCount.textContent = '';
      ui.toggleMembersCount.textContent = '';
      ui.membersNote.textContent = 'The chat sub-protocol does not share the members list.';
      ui.membersNote.hidden = false;
      return;
    }
    const names = c.kind === 'room' ? c.members : [...new Set([me, c.name])];
    ui.memberCount.textContent = String(names.length);
    ui.toggleMembersCount.textContent = String(names.length);
    for (const name of names) {
      const isMe = name === me;
      const present = c.kind === 'room' ? true : (isMe || online(name));
      const li = el('li', 'member');
      li.dataset.name = name;
      li.dataset.presence = present ? 'online' : 'offline';
      const dot = el('span', `presence-dot${present ? ' online' : ''}`);
      dot.setAttribute('aria-hidden', 'true');
      const pic = el('span', 'member-avatar');
      pic.append(avatar(name), dot);
      const text = el('span', 'member-text');
      text.append(el('span', 'member-name', name));
      const typing = c.kind === 'room' && c.typing.has(name);
      if (typing) text.append(el('span', 'member-typing', 'typing…'));
      else if (isMe) text.append(el('span', 'member-you', 'you'));
      else text.append(el('span', 'member-you', present ? 'online' : 'offline'));
      text.append(el('span', 'visually-hidden', present ? ', online' : ', offline'));
      li.append(pic, text);
      if (!isMe) {
        const dm = el('button', 'button tiny ghost', 'Message');
        dm.type = 'button';
        dm.dataset.dmTo = name;
        dm.setAttribute('aria-label', `Direct message ${name}`);
        dm.addEventListener('click', () => openDm(name));
        li.append(dm);
      }
      ui.memberList.append(li);
    }
  }

  function renderTyping() {
    const c = conv(active);
    const names = c && c.kind === 'room' ? [...c.typing.keys()] : [];
    ui.typing.textContent = names.length ? listPhrase(names) : '';
    ui.typing.dataset.active = names.length ? 'true' : 'false';
  }

  function activate(key) {
    const c = conv(key);
    if (!c) return;
    active = key;
    c.unread = 0;
    ui.app.dataset.active = key;
    renderConvList();
    renderHeader();
    renderMembers();
    renderTyping();
    renderLog();
  }

  function bump(c, item) {
    if (c.key === active && document.visibilityState !== 'hidden') return;
    if (item.own || item.history) return;
    c.unread += 1;
    renderConvList();
  }

  function openDm(name) {
    if (protocol !== 'superchat' || name === me) return;
    const c = ensureConv('dm', name);
    activate(c.key);
    closeDrawers();
    ui.composer.focus();
  }

  // ---- drawers (narrow screens) -------------------------------------------

  function openDrawer(which) {
    ui.app.dataset.drawer = which;
    ui.scrim.hidden = false;
    ui.toggleSidebar.setAttribute('aria-expanded', String(which === 'sidebar'));
    ui.toggleMembers.setAttribute('aria-expanded', String(which === 'members'));
    const panel = which === 'sidebar' ? ui.sidebar : ui.membersPanel;
    const first = panel.querySelector('button, input');
    if (first) first.focus();
  }

  function closeDrawers() {
    const was = ui.app.dataset.drawer;
    ui.app.dataset.drawer = '';
    ui.scrim.hidden = true;
    ui.toggleSidebar.setAttribute('aria-expanded', 'false');
    ui.toggleMembers.setAttribute('aria-expanded', 'false');
    return was;
  }

  ui.toggleSidebar.addEventListener('click', () => {
    if (ui.app.dataset.drawer === 'sidebar') closeDrawers(); else openDrawer('sidebar');
  });
  ui.toggleMembers.addEventListener('click', () => {
    if (ui.app.dataset.drawer === 'members') closeDrawers(); else openDrawer('members');
  });
  ui.closeMembers.addEventListener('click', () => { closeDrawers(); ui.toggleMembers.focus(); });
  ui.scrim.addEventListener('click', () => closeDrawers());

  // ---- connection state ----------------------------------------------------

  function setView(view) {
    ui.app.dataset.view = view;
    ui.form.hidden = view === 'chat';
    ui.chat.hidden = view === 'connect';
    ui.me.hidden = view !== 'chat';
  }

  function renderState(state, detail = {}) {
    ui.badge.dataset.state = state;
    ui.state.textContent = STATE_LABELS[state] || state;
    const live = state === 'open' || state === 'connecting' || state === 'reconnecting';
    ui.disconnect.disabled = !live;
    for (const input of [ui.name, ui.room, ...ui.form.querySelectorAll('input[name="protocol"]')]) input.disabled = live;
    ui.connect.disabled = live;
    // While reconnecting the composer stays usable: sends wait in the queue.
    const canWrite = state === 'open' || (state === 'reconnecting' && protocol !== '') || (state === 'connecting' && protocol !== '');
    ui.composer.disabled = !canWrite;
    ui.send.disabled = !canWrite;
    ui.joinRoom.disabled = !(state === 'open' && protocol === 'superchat');
    ui.badgeProtocol.hidden = !(protocol && state === 'open');
    ui.negotiated.textContent = protocol || '';
    clearInterval(retryTimer);
    if (state === 'reconnecting' && detail.retryAt) {
      const tick = () => {
        const left = Math.max(0, Math.ceil((detail.retryAt - Date.now()) / 1000));
        ui.closeRetry.textContent = left > 0 ? `Reconnecting in ${left} s (attempt ${detail.attempt}).` : 'Reconnecting…';
        ui.state.textContent = left > 0 ? `reconnecting in ${left} s` : 'reconnecting';
      };
      tick();
      retryTimer = setInterval(tick, 500);
      ui.closeRetryLine.hidden = false;
    } else if (state === 'connecting' && client && client.everConnected) {
      ui.closeRetry.textContent = 'Reconnecting…';
    } else {
      ui.closeRetryLine.hidden = true;
    }
    ui.composer.placeholder = composerPlaceholder();
  }

  function pendingItems() {
    return [...convs.values()].flatMap((c) => c.items.filter((i) => i.type === 'pending'));
  }

  function showCloseInfo(info) {
    ui.closeInfo.dataset.code = String(info.code);
    ui.closeInfo.dataset.reconnect = info.willReconnect ? 'true' : 'false';
    ui.closeTitle.textContent = `Disconnected — code ${info.code} (${info.name})`;
    ui.closeReason.textContent = info.reason || '';
    ui.closeReasonLine.hidden = !info.reason;
    ui.closeExplanation.textContent = info.explanation;
    ui.closeInfo.hidden = false;
  }

  function hideCloseInfo() {
    ui.closeInfo.hidden = true;
    delete ui.closeInfo.dataset.code;
  }

  // ---- wiring a client -------------------------------------------------------

  function resetConversations() {
    convs.clear();
    active = null;
    renderConvList();
    renderLog();
  }

  function connect({ name, room, protocols }) {
    if (client && client.state !== 'closed' && client.state !== 'idle') return client;
    const sameUser = name === me && convs.size > 0;
    if (!sameUser) resetConversations();
    // Coming back as the same person: rejoin the same rooms and resume each after the last
    // message shown, so nothing is missed or shown twice.
    const since = {};
    const rooms = [];
    if (sameUser) {
      for (const c of roomConvs()) {
        const last = [...c.items].reverse().find((i) => i.type === 'message' && i.id != null);
        if (last) since[c.name] = last.id;
        if (c.name !== room && c.joined) rooms.push(c.name);
      }
    }
    me = name;
    protocol = '';
    caughtUp = 0;
    hideCloseInfo();
    retryCycle = false;
    const c = new DuplexClient({ name, room, protocols, rooms, since });
    client = c;
    wire(c);
    ensureConv('room', room);
    if (!active || !conv(active)) activate(`room:${room}`);
    setView('chat');
    ui.meName.textContent = name;
    try { localStorage.setItem('duplex.name', name); } catch { /* storage may be off */ }
    system(conv(`room:${room}`), `Connecting to #${room} as ${name}…`, 'status-line');
    c.connect();
    return c;
  }

  function wire(c) {
    const mine = () => client === c;
    c.on('state', (d) => {
      if (!mine()) return;
      renderState(d.state, d);
    });

    c.on('welcome', (f) => {
      if (!mine()) return;
      protocol = c.protocol;
      me = c.name;
      ui.meName.textContent = me;
      ui.app.dataset.protocol = protocol;
      ui.protocolNote.hidden = protocol !== 'chat';
      const roomConv = ensureConv('room', f.room);
      roomConv.joined = true;
      if (protocol === 'chat') {
        // One room only on chat: forget rooms from an earlier superchat connection.
        for (const other of roomConvs()) if (other !== roomConv) convs.delete(other.key);
        for (const dm of dmConvs()) convs.delete(dm.key);
        if (!conv(active)) activate(roomConv.key);
      }
      caughtUp = 0;
      if (f.resumed) system(roomConv, `Reconnected as ${me} (${protocol}); catching up…`, 'status-line');
      else system(roomConv, `Connected to #${f.room} as ${me} · sub-protocol ${protocol}`, 'status-line');
      renderConvList();
      renderHeader();
      renderMembers();
    });

    c.on('ready', (d) => {
      if (!mine()) return;
      retryCycle = false;
      hideCloseInfo();
      if (d.resumed) {
        const c0 = conv(active) && conv(active).kind === 'room' ? conv(active) : roomConvs()[0];
        const text = protocol === 'chat'
          ? 'Back online. (chat does not replay messages sent while you were away.)'
          : caughtUp === 0 ? 'Back online — nothing was missed.' : `Back online — caught up on ${caughtUp} message${caughtUp === 1 ? '' : 's'}.`;
        system(c0, text, 'status-line');
      }
      renderState(c.state);
      if (document.activeElement === document.body || document.activeElement === null) ui.composer.focus();
    });

    c.on('joined', (d) => {
      if (!mine()) return;
      const rc = ensureConv('room', d.room);
      const first = !rc.joined && !d.resumed && rc.items.length === 0;
      rc.joined = true;
      rc.members = d.members;
      if (first) system(rc, `You joined #${d.room}.`);
      renderConvList();
      if (rc.key === active) { renderHeader(); renderMembers(); }
      else { renderHeader(); }
      renderDmPresence();
    });

    c.on('left', (d) => {
      if (!mine()) return;
      const rc = conv(`room:${d.room}`);
      if (!rc) return;
      convs.delete(rc.key);
      if (active === rc.key) {
        const next = roomConvs()[0] || dmConvs()[0];
        active = null;
        if (next) activate(next.key);
      }
      renderConvList();
      renderHeader();
      renderDmPresence();
    });

    c.on('presence', (f) => {
      if (!mine()) return;
      const rc = conv(`room:${f.room}`);
      if (!rc) return;
      rc.members = Array.isArray(f.members) ? f.members : rc.members;
      if (f.event === 'leave') rc.typing.delete(f.name);
      system(rc, f.event === 'join' ? `${f.name} joined #${f.room}` : `${f.name} left #${f.room}`, `presence presence-${f.event === 'join' ? 'join' : 'leave'}`);
      if (rc.key === active) { renderHeader(); renderMembers(); renderTyping(); }
      renderDmPresence();
    });

    c.on('message', (m) => {
      if (!mine()) return;
      const rc = ensureConv('room', m.room);
      if (m.ref) dropPending(m.ref);
      if (m.replayed && !m.history) caughtUp += 1;
      const item = addItem(rc, {
        type: 'message', id: m.id == null ? null : String(m.id), from: asText(m.from), text: asText(m.text),
        ts: asText(m.ts), own: m.own, history: m.history,
      });
      if (!item) return;
      if (rc.typing.has(item.from)) {
        clearTimeout(rc.typing.get(item.from));
        rc.typing.delete(item.from);
        if (rc.key === active) { renderTyping(); renderMembers(); }
      }
      if (rc.key === active) renderHeader();
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
      const rc = conv(`room:${t.room}`);
      if (!rc || t.from === me) return;
      clearTimeout(rc.typing.get(t.from));
      rc.typing.set(t.from, setTimeout(() => {
        rc.typing.delete(t.from);
        if (rc.key === active) { renderTyping(); renderMembers(); }
      }, TYPING_SHOWN_MS));
      if (rc.key === active) { renderTyping(); renderMembers(); }
    });

    c.on('notice', (n) => {
      if (!mine()) return;
      ui.bannerText.textContent = asText(n.text);
      const t = timeEl(asText(n.ts));
      ui.bannerTime.textContent = t ? t.textContent : '';
      if (t) ui.bannerTime.dateTime = t.dateTime;
      ui.banner.dataset.id = asText(n.id);
      ui.banner.hidden = false;
      for (const rc of roomConvs()) {
        addItem(rc, { type: 'notice', id: n.id == null ? null : `n${n.id}`, text: asText(n.text), ts: asText(n.ts) });
      }
    });

    c.on('error', (e) => {
      if (!mine()) return;
      if (e.handled) return; // the send, join or history that caused it shows it
      const target = (e.room && conv(`room:${e.room}`)) || conv(active);
      if (e.code === 'history-gap') {
        system(target, `Some messages of #${e.room} are no longer kept on the server; showing what it still has.`, 'warning');
        return;
      }
      if (target) addItem(target, { type: 'error', code: asText(e.code), text: asText(e.message) });
    });

    c.on('raw', (r) => {
      if (!mine()) return;
      system(conv(active), asText(r.text));
    });

    c.on('close', (info) => {
      if (!mine()) return;
      // While reconnecting, failed attempts (usually 1006: nobody answered) keep the explanation
      // of the close that started it all, e.g. 1001 "server shutting down".
      const retrying = retryCycle && info.willReconnect;
      retryCycle = info.willReconnect;
      if (retrying) {
        ui.closeInfo.dataset.attempts = String(info.attempt || 0);
        return;
      }
      showCloseInfo(info);
      const target = conv(active);
      system(target, `Disconnected (code ${info.code}${info.reason ? `: ${info.reason}` : ''}). ${info.explanation}`, 'status-line');
      if (!info.willReconnect) {
        // Not connected any more: nobody is shown as present.
        for (const rc of roomConvs()) { rc.members = []; rc.typing.clear(); }
        renderHeader();
        renderMembers();
        renderTyping();
        setView(convs.size > 0 && client.everConnected ? 'closed' : 'connect');
        renderState('closed');
        for (const item of pendingItems()) {
          if (item.status !== 'failed') markFailed(item, 'Not sent: disconnected.');
        }
        const first = ui.name.value.trim() === '' || info.code === 4001 ? ui.name : ui.connect;
        if (!ui.form.hidden) first.focus();
      } else {
        for (const item of pendingItems()) {
          if (item.status === 'sending') { item.status = 'queued'; item.statusText = 'Waiting to reconnect…'; updatePendingNode(item); }
        }
      }
    });
  }

  function renderDmPresence() {
    if (dmConvs().length) renderConvList();
    const c = conv(active);
    if (c && c.kind === 'dm') { renderHeader(); renderMembers(); }
  }

  // ---- sending ---------------------------------------------------------------

  function findPending(ref) {
    for (const c of convs.values()) {
      const item = c.items.find((i) => i.type === 'pending' && i.ref === ref);
      if (item) return { c, item };
    }
    return null;
  }

  function dropPending(ref) {
    const found = findPending(ref);
    if (found) removeItem(found.c, found.item);
  }

  function markFailed(item, text) {
    item.status = 'failed';
    item.statusText = text;
    updatePendingNode(item);
  }

  function sendMessage() {
    const c = conv(active);
    if (!client || !c || ui.composer.disabled) return;
    const text = ui.composer.value;
    if (text.trim() === '') { ui.composer.focus(); return; }
    const offline = client.state !== 'open';
    const promise = c.kind === 'room' ? client.send(text, { room: c.name }) : client.direct(c.name, text);
    const item = addItem(c, {
      type: 'pending', kindOf: c.kind === 'room' ? 'message' : 'direct', from: me, text, own: true,
      ts: new Date().toISOString(),
      status: offline ? 'queued' : 'sending', statusText: offline ? 'Waiting to reconnect…' : 'Sending…',
    });
    promise.then(
      () => { const found = conv(c.key) && c.items.includes(item); if (found) removeItem(c, item); },
      (err) => markFailed(item, `Not sent: ${err && err.message ? err.message : err}`),
    );
    item.ref = promise.ref;
    if (item.node && item.ref) item.node.dataset.ref = item.ref;
    ui.composer.value = '';
    lastTypingSent = 0; // the next keystroke starts a new "is typing"
    autoGrow();
    ui.composer.focus();
  }

  function autoGrow() {
    ui.composer.style.height = 'auto';
    ui.composer.style.height = `${Math.min(ui.composer.scrollHeight + 2, 160)}px`;
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
    autoGrow();
    const c = conv(active);
    if (!client || !c || c.kind !== 'room' || ui.composer.value.trim() === '') return;
    const now = Date.now();
    if (now - lastTypingSent < TYPING_SEND_EVERY_MS) return;
    if (client.typing(c.name)) lastTypingSent = now;
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
    if (client) client.close('Client disconnected');
  });
  ui.retryNow.addEventListener('click', () => { if (client) client.retryNow(); });

  ui.joinForm.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!client || protocol !== 'superchat') return;
    const room = ui.joinRoom.value.trim();
    const problem = validateRoom(room);
    if (problem) {
      ui.joinRoom.setCustomValidity(problem);
      ui.joinRoom.reportValidity();
      return;
    }
    ui.joinRoom.setCustomValidity('');
    const existing = conv(`room:${room}`);
    if (existing && existing.joined) {
      activate(existing.key);
      ui.joinRoom.value = '';
      closeDrawers();
      ui.composer.focus();
      return;
    }
    const rc = ensureConv('room', room);
    activate(rc.key);
    client.join(room).then(
      () => { ui.joinRoom.value = ''; closeDrawers(); ui.composer.focus(); },
      (err) => {
        if (!rc.joined) { convs.delete(rc.key); renderConvList(); }
        const back = conv(active) || roomConvs()[0];
        if (back) activate(back.key);
        if (back) addItem(back, { type: 'error', code: asText(err.code), text: `Could not join #${room}: ${err.message}` });
      },
    );
  });
  ui.joinRoom.addEventListener('input', () => ui.joinRoom.setCustomValidity(''));

  ui.leaveRoom.addEventListener('click', () => {
    const c = conv(active);
    if (!client || !c || c.kind !== 'room') return;
    client.leave(c.name).catch(() => {});
  });

  ui.loadOlder.addEventListener('click', () => {
    const c = conv(active);
    if (!client || !c || c.kind !== 'room') return;
    const oldest = c.items.find((i) => i.type === 'message' && i.id != null);
    ui.loadOlder.disabled = true;
    const before = ui.log.scrollHeight - ui.log.scrollTop;
    client.history(c.name, { before: oldest ? oldest.id : undefined, limit: HISTORY_PAGE }).then((messages) => {
      followLog = false;
      for (const m of messages) {
        addItem(c, { type: 'message', id: String(m.id), from: asText(m.from), text: asText(m.text), ts: asText(m.ts), own: m.from === me, history: true });
      }
      if (messages.length < HISTORY_PAGE) c.hasOlder = false;
      if (c.key === active) ui.log.scrollTop = ui.log.scrollHeight - before;
      renderHeader();
    }, (err) => {
      addItem(c, { type: 'error', code: asText(err.code), text: `Could not load earlier messages: ${err.message}` });
    }).finally(() => { ui.loadOlder.disabled = false; });
  });

  ui.bannerDismiss.addEventListener('click', () => {
    ui.banner.hidden = true;
    ui.bannerText.textContent = '';
    ui.composer.focus();
  });

  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && ui.app.dataset.drawer) {
      const was = closeDrawers();
      (was === 'members' ? ui.toggleMembers : ui.toggleSidebar).focus();
      return;
    }
    if (event.altKey && (event.key === 'ArrowUp' || event.key === 'ArrowDown') && convs.size > 1) {
      event.preventDefault();
      const keys = [...roomConvs(), ...dmConvs()].map((c) => c.key);
      const at = keys.indexOf(active);
      const next = keys[(at + (event.key === 'ArrowDown' ? 1 : keys.length - 1)) % keys.length];
      activate(next);
      ui.composer.focus();
    }
  });

  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && active && conv(active)) {
      conv(active).unread = 0;
      renderConvList();
    }
  });

  window.addEventListener('pagehide', () => {
    if (client) client.close('Page closed');
  });

  // Prefill from the address (?name=alice&room=dev&protocol=chat) or the last name used.
  const params = new URLSearchParams(location.search);
  let remembered = '';
  try { remembered = localStorage.getItem('duplex.name') || ''; } catch { /* storage may be off */ }
  ui.name.value = params.get('name') || ui.name.value || remembered;
  if (params.get('room')) ui.room.value = params.get('room');
  if (params.get('protocol') === 'chat') root.querySelector('#protocol-chat').checked = true;
  syncValidity();
  setView('connect');
  renderState('idle');
  closeDrawers();
  if (ui.name.value.trim() === '') ui.name.focus(); else ui.connect.focus();

  // A handle for scripts and end-to-end tests: the live client and a way to connect with
  // options the form does not offer (e.g. another sub-protocol list).
  window.duplexApp = Object.freeze({
    get client() { return client; },
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
