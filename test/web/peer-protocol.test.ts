import { describe, expect, it } from 'vitest';
import { decodePeerMessage, encodePeerMessage, MAX_CHAT_TEXT_LENGTH, MAX_PEER_FRAME_LENGTH } from '../../web/peer-protocol.js';

const good = { type: 'chat', id: 'abc:1', text: 'hello', sentAt: 1_700_000_000_000 } as const;

describe('peer protocol', () => {
  it('round-trips a chat message', () => {
    expect(decodePeerMessage(encodePeerMessage(good))).toEqual(good);
  });

  it.each([
    ['not a string', new Uint8Array([1, 2])],
    ['not JSON', '{"type":"chat"'],
    ['an array', '[]'],
    ['unknown type', JSON.stringify({ ...good, type: 'shout' })],
    ['missing text', JSON.stringify({ type: 'chat', id: 'a', sentAt: 1 })],
    ['empty text', JSON.stringify({ ...good, text: '' })],
    ['text too long', JSON.stringify({ ...good, text: 'x'.repeat(MAX_CHAT_TEXT_LENGTH + 1) })],
    ['numeric text', JSON.stringify({ ...good, text: 5 })],
    ['no id', JSON.stringify({ ...good, id: '' })],
    ['huge id', JSON.stringify({ ...good, id: 'i'.repeat(200) })],
    ['string time', JSON.stringify({ ...good, sentAt: 'now' })],
    ['extra fields', JSON.stringify({ ...good, html: '<b>' })],
    ['oversized frame', JSON.stringify({ ...good, text: 'x'.repeat(MAX_PEER_FRAME_LENGTH) })],
  ])('drops %s', (_label, frame) => {
    expect(decodePeerMessage(frame)).toBeUndefined();
  });
});
