import { describe, expect, it } from 'vitest';
import {
  authorOf,
  decodePeerMessage,
  encodeHistoryFrames,
  encodePeerMessage,
  HISTORY_FRAME_TARGET_LENGTH,
  MAX_CHAT_TEXT_LENGTH,
  MAX_PEER_FRAME_LENGTH,
  sequenceOf,
  type HistoryEntry,
  type PeerMessage,
} from '../../web/peer-protocol.js';

const AUTHOR = 'A'.repeat(22);
const chat = { type: 'chat', id: `${AUTHOR}:1`, text: 'hello', sentAt: 1_700_000_000_000, name: 'Ada' } as const;

describe('peer protocol', () => {
  it('round-trips each message type', () => {
    expect(decodePeerMessage(encodePeerMessage(chat))).toEqual(chat);
    const ack: PeerMessage = { type: 'ack', ids: [`${AUTHOR}:1`, `${AUTHOR}:2`] };
    expect(decodePeerMessage(encodePeerMessage(ack))).toEqual(ack);
    const history: PeerMessage = { type: 'history', messages: [{ id: `${AUTHOR}:3`, text: 'x', sentAt: 5, name: 'Ada' }] };
    expect(decodePeerMessage(encodePeerMessage(history))).toEqual(history);
    expect(decodePeerMessage(encodePeerMessage({ type: 'bye' }))).toEqual({ type: 'bye' });
  });

  it('splits message ids', () => {
    expect(authorOf(`${AUTHOR}:42`)).toBe(AUTHOR);
    expect(sequenceOf(`${AUTHOR}:42`)).toBe(42);
  });

  it.each([
    ['not a string', new Uint8Array([1, 2])],
    ['not JSON', '{"type":"chat"'],
    ['an array', '[]'],
    ['null', 'null'],
    ['unknown type', JSON.stringify({ ...chat, type: 'shout' })],
    ['missing text', JSON.stringify({ type: 'chat', id: chat.id, sentAt: 1, name: 'x' })],
    ['empty text', JSON.stringify({ ...chat, text: '' })],
    ['text too long', JSON.stringify({ ...chat, text: 'x'.repeat(MAX_CHAT_TEXT_LENGTH + 1) })],
    ['numeric text', JSON.stringify({ ...chat, text: 5 })],
    ['malformed id', JSON.stringify({ ...chat, id: 'abc:1' })],
    ['id with sequence 0', JSON.stringify({ ...chat, id: `${AUTHOR}:0` })],
    ['string time', JSON.stringify({ ...chat, sentAt: 'now' })],
    ['fractional time', JSON.stringify({ ...chat, sentAt: 1.5 })],
    ['extra fields', JSON.stringify({ ...chat, html: '<b>' })],
    ['empty ack', JSON.stringify({ type: 'ack', ids: [] })],
    ['bye with a payload', JSON.stringify({ type: 'bye', reason: 'x' })],
    ['ack of non-ids', JSON.stringify({ type: 'ack', ids: [1, 2] })],
    ['history with a bad entry', JSON.stringify({ type: 'history', messages: [{ id: chat.id, text: '', sentAt: 1, name: 'x' }] })],
    ['history that is too long', JSON.stringify({ type: 'history', messages: Array.from({ length: 201 }, (_, i) => ({ id: `${AUTHOR}:${i + 1}`, text: 'x', sentAt: 1, name: 'x' })) })],
    ['oversized frame', JSON.stringify({ ...chat, text: 'x'.repeat(MAX_PEER_FRAME_LENGTH) })],
  ])('drops %s', (_label, frame) => {
    expect(decodePeerMessage(frame)).toBeUndefined();
  });

  it('cuts history into frames that each decode and stay under the size limit', () => {
    const entries: HistoryEntry[] = Array.from({ length: 200 }, (_, i) => ({
      id: `${AUTHOR}:${i + 1}`,
      text: `${'é'.repeat(i % 7 === 0 ? MAX_CHAT_TEXT_LENGTH : 40)}`,
      sentAt: i,
      name: 'Ada',
    }));
    const frames = encodeHistoryFrames(entries);
    expect(frames.length).toBeGreaterThan(1);
    const decoded = frames.flatMap((frame) => {
      expect(frame.length).toBeLessThanOrEqual(HISTORY_FRAME_TARGET_LENGTH + MAX_CHAT_TEXT_LENGTH * 2);
      const message = decodePeerMessage(frame);
      expect(message?.type).toBe('history');
      return message?.type === 'history' ? message.messages : [];
    });
    expect(decoded).toEqual(entries);
    expect(encodeHistoryFrames([])).toEqual([]);
  });
});
