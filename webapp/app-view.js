// The chat page's DOM: draws the model of app-state.js into index.html's elements. Everything
// that comes from users or the server is put in the page with textContent (never innerHTML), so a
// message is always shown as text.

import { formatTime } from './duplex.js';
import { HISTORY_PAGE, asText } from './app-state.js';

const STATE_LABELS = {
  idle: 'not connected',
  connecting: 'connecting',
  open: 'open',
  reconnecting: 'reconnecting',
  closed: 'closed',
};

// ---------------------------------------------------------------------------
// small DOM helpers

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
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

/**
 * Draws `state` into the page under `root`. Clicks on a conversation or on a member's "Message"
 * button call `actions.openConversation(key)` and `actions.openDm(name)`. Returns the elements
 * (`ui`, for app.js to listen to) and the functions that draw.
 */
export function createView(root, state, actions) {
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

  let retryTimer = null;

  // ---- the log --------------------------------------------------------------

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
    if (item.ref) item.node.dataset.ref = item.ref;
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
    const c = state.activeConv;
    if (!c) return;
    const item = c.items[at];
    if (!item || !item.node || item.type === 'pending') return;
    item.node.classList.toggle('cont', isContinuation(c.items[at - 1], item));
  }

  function renderLog() {
    const c = state.activeConv;
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

  /** Shows an item the model placed at `at`, if its conversation is the open one. */
  function showItem(c, item, at) {
    if (c.key === state.active) insertItemNode(c, item, at);
  }

  /** Takes away the node of an item the model removed from `at`. */
  function hideItem(c, item, at) {
    if (item.node) item.node.remove();
    if (c.key === state.active) refreshGrouping(at);
  }

  /** How far the end of the log is below what the reader sees, to keep their place. */
  function logOffsetFromEnd() {
    return ui.log.scrollHeight - ui.log.scrollTop;
  }

  /** Older messages are about to go in above the reader: do not jump to the end for them. */
  function stopFollowingLog() {
    followLog = false;
  }

  function restoreLogOffset(c, offsetFromEnd) {
    if (c.key === state.active) ui.log.scrollTop = ui.log.scrollHeight - offsetFromEnd;
  }

  // ---- sidebar, header, members ---------------------------------------------

  /** The open conversation changed: draws all of it. */
  function renderActive() {
    ui.app.dataset.active = state.active;
    renderConvList();
    renderHeader();
    renderMembers();
    renderTyping();
    renderLog();
  }

  function convButton(c) {
    const li = el('li', 'conv-item');
    const button = el('button', 'conv');
    button.type = 'button';
    button.dataset.conv = c.key;
    if (c.kind === 'room') button.dataset.room = c.name;
    else button.dataset.dm = c.name;
    if (c.key === state.active) button.setAttribute('aria-current', 'true');
    if (c.kind === 'room') {
      button.append(el('span', 'conv-hash', '#'));
      button.append(el('span', 'conv-name', c.name));
    } else {
      const dot = el('span', `presence-dot${state.online(c.name) ? ' online' : ''}`);
      dot.setAttribute('aria-hidden', 'true');
      button.append(dot, el('span', 'conv-name', c.name));
      button.append(el('span', 'visually-hidden', state.online(c.name) ? ' (online)' : ' (offline)'));
    }
    if (c.unread > 0) {
      const badge = el('span', 'unread', c.unread > 99 ? '99+' : String(c.unread));
      badge.dataset.unread = String(c.unread);
      badge.setAttribute('aria-label', `${c.unread} unread`);
      button.append(badge);
    }
    button.addEventListener('click', () => actions.openConversation(c.key));
    li.append(button);
    return li;
  }

  function renderConvList() {
    ui.roomList.replaceChildren(...state.roomConvs().map(convButton));
    const dms = state.dmConvs();
    ui.dmList.replaceChildren(...dms.map(convButton));
    ui.dmEmpty.hidden = dms.length > 0 || state.protocol === 'chat';
    ui.dmEmpty.textContent = 'Pick someone under Members to message them privately.';
    const total = state.totalUnread();
    ui.sidebarUnread.hidden = total === 0;
    document.title = total > 0 ? `(${total}) Duplex chat` : 'Duplex chat';
  }

  function renderHeader() {
    const c = state.activeConv;
    if (!c) {
      ui.convTitle.textContent = '';
      ui.convSub.textContent = '';
      ui.leaveRoom.hidden = true;
      return;
    }
    ui.convTitle.textContent = (c.kind === 'room' ? `#${c.name}` : c.name);
    ui.convTitle.dataset.conv = c.key;
    if (c.kind === 'room') {
      ui.convSub.textContent = state.connection === 'closed' ? 'not connected'
        : state.protocol === 'chat' ? 'basic chat room'
        : `${c.members.length} ${c.members.length === 1 ? 'member' : 'members'} online`;
      ui.leaveRoom.hidden = state.protocol !== 'superchat' || state.roomConvs().filter((r) => r.joined).length < 2;
      ui.leaveRoom.setAttribute('aria-label', `Leave #${c.name}`);
    } else {
      ui.convSub.textContent = `direct messages · ${state.online(c.name) ? 'online' : 'offline'}`;
      ui.leaveRoom.hidden = true;
    }
    // The server sends the latest 50 on join: with fewer than that there is nothing older.
    ui.loadOlder.hidden = !(state.protocol === 'superchat' && c.kind === 'room' && c.hasOlder
      && state.messageCount(c) >= HISTORY_PAGE);
    ui.composer.placeholder = composerPlaceholder();
  }

  function composerPlaceholder() {
    const c = state.activeConv;
    const where = c ? (c.kind === 'room' ? `#${c.name}` : c.name) : '';
    if (state.connection === 'reconnecting') return `Offline — messages to ${where} will be sent when reconnected`;
    return c ? `Message ${where}` : 'Write a message…';
  }

  function renderMembers() {
    const c = state.activeConv;
    ui.memberList.replaceChildren();
    ui.membersNote.hidden = true;
    if (!c) return;
    if (state.protocol === 'chat') {
      ui.memberCount.textContent = '';
      ui.toggleMembersCount.textContent = '';
      ui.membersNote.textContent = 'The chat sub-protocol does not share the members list.';
      ui.membersNote.hidden = false;
      return;
    }
    const names = c.kind === 'room' ? c.members : [...new Set([state.me, c.name])];
    ui.memberCount.textContent = String(names.length);
    ui.toggleMembersCount.textContent = String(names.length);
    for (const name of names) {
      const isMe = name === state.me;
      const present = c.kind === 'room' ? true : (isMe || state.online(name));
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
        dm.addEventListener('click', () => actions.openDm(name));
        li.append(dm);
      }
      ui.memberList.append(li);
    }
  }

  function renderTyping() {
    const c = state.activeConv;
    const names = c && c.kind === 'room' ? [...c.typing.keys()] : [];
    ui.typing.textContent = names.length ? listPhrase(names) : '';
    ui.typing.dataset.active = names.length ? 'true' : 'false';
  }

  function renderDmPresence() {
    if (state.dmConvs().length) renderConvList();
    const c = state.activeConv;
    if (c && c.kind === 'dm') { renderHeader(); renderMembers(); }
  }

  // ---- drawers (narrow screens) ---------------------------------------------

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

  // ---- connection state -----------------------------------------------------

  function setView(view) {
    ui.app.dataset.view = view;
    ui.form.hidden = view === 'chat';
    ui.chat.hidden = view === 'connect';
    ui.me.hidden = view !== 'chat';
  }

  function renderName() {
    ui.meName.textContent = state.me;
  }

  function renderProtocol() {
    ui.app.dataset.protocol = state.protocol;
    ui.protocolNote.hidden = state.protocol !== 'chat';
  }

  function renderState(connection, detail = {}) {
    ui.badge.dataset.state = connection;
    ui.state.textContent = STATE_LABELS[connection] || connection;
    const live = connection === 'open' || connection === 'connecting' || connection === 'reconnecting';
    ui.disconnect.disabled = !live;
    for (const input of [ui.name, ui.room, ...ui.form.querySelectorAll('input[name="protocol"]')]) input.disabled = live;
    ui.connect.disabled = live;
    // While reconnecting the composer stays usable: sends wait in the queue.
    const canWrite = connection === 'open' || (connection === 'reconnecting' && state.protocol !== '') || (connection === 'connecting' && state.protocol !== '');
    ui.composer.disabled = !canWrite;
    ui.send.disabled = !canWrite;
    ui.joinRoom.disabled = !(connection === 'open' && state.protocol === 'superchat');
    ui.badgeProtocol.hidden = !(state.protocol && connection === 'open');
    ui.negotiated.textContent = state.protocol || '';
    clearInterval(retryTimer);
    if (connection === 'reconnecting' && detail.retryAt) {
      const tick = () => {
        const left = Math.max(0, Math.ceil((detail.retryAt - Date.now()) / 1000));
        ui.closeRetry.textContent = left > 0 ? `Reconnecting in ${left} s (attempt ${detail.attempt}).` : 'Reconnecting…';
        ui.state.textContent = left > 0 ? `reconnecting in ${left} s` : 'reconnecting';
      };
      tick();
      retryTimer = setInterval(tick, 500);
      ui.closeRetryLine.hidden = false;
    } else if (connection === 'connecting' && state.everConnected) {
      ui.closeRetry.textContent = 'Reconnecting…';
    } else {
      ui.closeRetryLine.hidden = true;
    }
    ui.composer.placeholder = composerPlaceholder();
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

  function showRetryAttempts(attempt) {
    ui.closeInfo.dataset.attempts = String(attempt || 0);
  }

  // ---- notices and the composer ---------------------------------------------

  function showNotice(n) {
    ui.bannerText.textContent = asText(n.text);
    const t = timeEl(asText(n.ts));
    ui.bannerTime.textContent = t ? t.textContent : '';
    if (t) ui.bannerTime.dateTime = t.dateTime;
    ui.banner.dataset.id = asText(n.id);
    ui.banner.hidden = false;
  }

  function hideNotice() {
    ui.banner.hidden = true;
    ui.bannerText.textContent = '';
  }

  function autoGrow() {
    ui.composer.style.height = 'auto';
    ui.composer.style.height = `${Math.min(ui.composer.scrollHeight + 2, 160)}px`;
  }

  return {
    ui,
    renderActive,
    renderConvList,
    renderHeader,
    renderMembers,
    renderTyping,
    renderLog,
    renderDmPresence,
    renderState,
    renderName,
    renderProtocol,
    showItem,
    hideItem,
    updatePendingNode,
    showCloseInfo,
    hideCloseInfo,
    showRetryAttempts,
    showNotice,
    hideNotice,
    setView,
    openDrawer,
    closeDrawers,
    autoGrow,
    logOffsetFromEnd,
    stopFollowingLog,
    restoreLogOffset,
  };
}
