// Unit tests of webapp/app-state.js, the chat page's model: no DOM needed.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChatState } from '../../../../webapp/app-state.js';

const message = (id, text = id) => ({ type: 'message', id, text, from: 'bob' });

test('messages are placed by id, shown once, and pending sends stay last', () => {
  const state = new ChatState();
  const [lobby, created] = state.ensureConv('room', 'lobby');
  assert.equal(created, true);
  assert.equal(state.ensureConv('room', 'lobby')[0], lobby, 'the same conversation again');
  state.addItem(lobby, message('0002'));
  state.addItem(lobby, { type: 'pending', text: 'sending', ref: 'c-1' });
  assert.equal(state.addItem(lobby, message('0001')), 0, 'an older message goes above');
  assert.equal(state.addItem(lobby, message('0002')), -1, 'a repeat is not shown twice');
  state.addItem(lobby, { type: 'system', text: 'note' });
  assert.deepEqual(lobby.items.map((i) => i.id ?? i.type), ['0001', '0002', 'system', 'pending']);
  assert.equal(state.findPending('c-1').item.text, 'sending');
  assert.equal(state.messageCount(lobby), 2);
  assert.equal(state.oldestMessageId(lobby), '0001');
});

test('unread counts: not for the open conversation while visible, nor for own or history', () => {
  const state = new ChatState();
  const [lobby] = state.ensureConv('room', 'lobby');
  const [dev] = state.ensureConv('room', 'dev');
  state.activate(lobby.key);
  assert.equal(state.bump(lobby, message('1'), { pageVisible: true }), false);
  assert.equal(state.bump(lobby, message('2'), { pageVisible: false }), true, 'the tab is in the background');
  assert.equal(state.bump(dev, { ...message('3'), own: true }, { pageVisible: true }), false);
  assert.equal(state.bump(dev, { ...message('4'), history: true }, { pageVisible: true }), false);
  assert.equal(state.bump(dev, message('5'), { pageVisible: true }), true);
  assert.equal(state.totalUnread(), 2);
  state.activate(dev.key);
  assert.equal(dev.unread, 0, 'opening reads it');
  assert.deepEqual(state.orderedKeys(), ['room:lobby', 'room:dev']);
});

test('coming back resumes every joined room after its last message', () => {
  const state = new ChatState();
  const [lobby] = state.ensureConv('room', 'lobby');
  const [dev] = state.ensureConv('room', 'dev');
  const [quiet] = state.ensureConv('room', 'quiet');
  state.ensureConv('dm', 'bob');
  lobby.joined = true;
  dev.joined = true;
  state.addItem(lobby, message('0007'));
  state.addItem(dev, message('0003'));
  state.addItem(dev, { type: 'system', text: 'after' });
  assert.equal(quiet.joined, false);
  assert.deepEqual(state.resumePoints('lobby'), { since: { lobby: '0007', dev: '0003' }, rooms: ['dev'] });
  assert.equal(state.online('bob'), false);
  lobby.members = ['alice', 'bob'];
  assert.equal(state.online('bob'), true);
});
