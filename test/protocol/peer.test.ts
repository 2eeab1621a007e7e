import { describe, expect, it } from 'vitest';
import {
  decodePeerFrame,
  decodePeerMessage,
  encodeHistoryFrames,
  encodePeerMessage,
  HISTORY_FRAME_TARGET_LENGTH,
  HISTORY_LIMIT,
  MAX_CHAT_TEXT_LENGTH,
  MAX_PEER_FRAME_LENGTH,
  PEER_PROTOCOL_VERSION,
  type HistoryAuthor,
  type HistoryEntry,
  type PeerMessage,
} from '../../protocol/peer.js';
import { authorOf, sequenceOf } from '../../protocol/ids.js';

const AUTHOR = 'A'.repeat(22);
const SIG = 's'.repeat(86);
const KEY = 'k'.repeat(87);
const DIGEST = 'd'.repeat(43);
const chat = { type: 'chat', id: `${AUTHOR}:1`, text: 'hello', sentAt: 1_700_000_000_000, name: 'Ada', sig: SIG } as const;
const author: HistoryAuthor = { id: AUTHOR, key: KEY, commit: DIGEST };
const authorOfEntry = (): HistoryAuthor => author;

describe('peer protocol', () => {
  it('round-trips each message type', () => {
    expect(decodePeerMessage(encodePeerMessage(chat))).toEqual(chat);
    const ack: PeerMessage = { type: 'ack', ids: [`${AUTHOR}:1`, `${AUTHOR}:2`] };
    expect(decodePeerMessage(encodePeerMessage(ack))).toEqual(ack);
    const history: PeerMessage = { type: 'history', authors: [author], messages: [{ id: `${AUTHOR}:3`, text: 'x', sentAt: 5, name: 'Ada', sig: SIG }] };
    expect(decodePeerMessage(encodePeerMessage(history))).toEqual(history);
    expect(decodePeerMessage(encodePeerMessage({ type: 'bye' }))).toEqual({ type: 'bye' });
    expect(decodePeerMessage(encodePeerMessage({ type: 'ping' }))).toEqual({ type: 'ping' });
    expect(decodePeerMessage(encodePeerMessage({ type: 'pong' }))).toEqual({ type: 'pong' });
    const prove: PeerMessage = { type: 'prove', key: KEY, commit: DIGEST, proof: DIGEST, sig: SIG };
    expect(decodePeerMessage(encodePeerMessage(prove))).toEqual(prove);
    expect(decodePeerMessage(encodePeerMessage({ type: 'profile', name: 'Ada' }))).toEqual({ type: 'profile', name: 'Ada' });
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
    ['missing text', JSON.stringify({ type: 'chat', id: chat.id, sentAt: 1, name: 'x', sig: SIG })],
    ['an unsigned chat', JSON.stringify({ ...chat, sig: undefined })],
    ['a malformed signature', JSON.stringify({ ...chat, sig: 'not a signature' })],
    ['a proof with a short key', JSON.stringify({ type: 'prove', key: 'k'.repeat(86), commit: DIGEST, proof: DIGEST, sig: SIG })],
    ['an empty profile name', JSON.stringify({ type: 'profile', name: '' })],
    ['history without authors', JSON.stringify({ type: 'history', messages: [] })],
    ['history with a bad author', JSON.stringify({ type: 'history', authors: [{ id: AUTHOR, key: 'x', commit: DIGEST }], messages: [] })],
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
    ['ping with a payload', JSON.stringify({ v: 3, type: 'ping', data: 'x'.repeat(1000) })],
    ['ack of non-ids', JSON.stringify({ type: 'ack', ids: [1, 2] })],
    ['history with a bad entry', JSON.stringify({ type: 'history', authors: [author], messages: [{ id: chat.id, text: '', sentAt: 1, name: 'x', sig: SIG }] })],
    ['history with an unsigned entry', JSON.stringify({ type: 'history', authors: [author], messages: [{ id: chat.id, text: 'x', sentAt: 1, name: 'x' }] })],
    ['history that is too long', JSON.stringify({ type: 'history', authors: [author], messages: Array.from({ length: 201 }, (_, i) => ({ id: `${AUTHOR}:${i + 1}`, text: 'x', sentAt: 1, name: 'x', sig: SIG })) })],
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
      sig: SIG,
    }));
    const frames = encodeHistoryFrames(entries, [], authorOfEntry);
    expect(frames.length).toBeGreaterThan(1);
    const decoded = frames.flatMap((frame) => {
      expect(frame.length).toBeLessThanOrEqual(HISTORY_FRAME_TARGET_LENGTH + MAX_CHAT_TEXT_LENGTH * 2);
      const message = decodePeerMessage(frame);
      expect(message?.type).toBe('history');
      // Each frame names the authors of its own entries, so it can be checked on its own.
      if (message?.type === 'history') expect(message.authors).toEqual([author]);
      return message?.type === 'history' ? message.messages : [];
    });
    expect(decoded).toEqual(entries);
    expect(encodeHistoryFrames([], [], authorOfEntry)).toEqual([]);
  });

  it('never puts more entries in one frame than a receiver accepts (a full transcript plus an outbox)', () => {
    const entries: HistoryEntry[] = Array.from({ length: 2 * HISTORY_LIMIT + 1 }, (_, i) => ({ id: `${AUTHOR}:${i + 1}`, text: 'hi', sentAt: i, name: 'Ada', sig: SIG }));
    const frames = encodeHistoryFrames(entries, [], authorOfEntry);
    expect(frames).toHaveLength(3);
    const decoded = frames.map((frame) => decodePeerMessage(frame));
    expect(decoded.flatMap((message) => (message?.type === 'history' ? message.messages : []))).toEqual(entries);
  });

  describe('version rule', () => {
    const newer = PEER_PROTOCOL_VERSION + 1;

    it('stamps every frame with this version', () => {
      expect(JSON.parse(encodePeerMessage({ type: 'bye' }))).toEqual({ v: PEER_PROTOCOL_VERSION, type: 'bye' });
      for (const frame of encodeHistoryFrames([{ id: chat.id, text: 'x', sentAt: 1, name: 'Ada', sig: SIG }], [], authorOfEntry)) {
        expect(JSON.parse(frame).v).toBe(PEER_PROTOCOL_VERSION);
      }
    });

    it('reads a frame without a version as version 1, held to its schema exactly', () => {
      expect(decodePeerMessage(JSON.stringify(chat))).toEqual(chat);
      expect(decodePeerFrame(JSON.stringify({ ...chat, html: '<b>' }))).toEqual({ kind: 'invalid' });
    });

    it('holds frames of this version to their schema exactly', () => {
      const withExtra = JSON.stringify({ v: PEER_PROTOCOL_VERSION, ...chat, html: '<b>' });
      expect(decodePeerFrame(withExtra)).toEqual({ kind: 'invalid' });
    });

    it('reads a newer peer\'s frame of a known type, ignoring the fields it added', () => {
      const frame = JSON.stringify({ v: newer, ...chat, reactions: ['+1'], replyTo: `${AUTHOR}:0` });
      expect(decodePeerFrame(frame)).toEqual({ kind: 'message', message: chat });
      const history = JSON.stringify({ v: newer, type: 'history', authors: [author], messages: [{ id: chat.id, text: 'x', sentAt: 1, name: 'Ada', sig: SIG, edited: true }] });
      expect(decodePeerMessage(history)).toEqual({ type: 'history', authors: [author], messages: [{ id: chat.id, text: 'x', sentAt: 1, name: 'Ada', sig: SIG }] });
    });

    it('sets aside a newer peer\'s new frame type as unsupported, not invalid', () => {
      expect(decodePeerFrame(JSON.stringify({ v: newer, type: 'poll' }))).toEqual({ kind: 'unsupported', version: newer });
    });

    it('still checks the fields it knows in a newer peer\'s frame', () => {
      expect(decodePeerFrame(JSON.stringify({ v: newer, ...chat, text: '' }))).toEqual({ kind: 'invalid' });
      expect(decodePeerFrame(JSON.stringify({ v: newer, ...chat, id: 'abc:1' }))).toEqual({ kind: 'invalid' });
    });

    it.each([
      ['zero', 0],
      ['negative', -1],
      ['fractional', 1.5],
      ['a string', '1'],
      ['null', null],
    ])('drops a frame whose version is %s', (_label, version) => {
      expect(decodePeerFrame(JSON.stringify({ ...chat, v: version }))).toEqual({ kind: 'invalid' });
    });
  });
});

describe('file chunk frames', () => {
  it('round-trip: stream, offset and bytes, into a new buffer or one the sender reuses', async () => {
    const { decodeFileChunk, encodeFileChunk, FILE_CHUNK_HEADER_BYTES } = await import('../../protocol/peer.js');
    const bytes = new Uint8Array([1, 2, 3, 4]);
    const fresh = decodeFileChunk(encodeFileChunk(7, 2 ** 35 + 3, bytes));
    expect(fresh && { stream: fresh.stream, offset: fresh.offset, bytes: [...fresh.bytes] }).toEqual({ stream: 7, offset: 2 ** 35 + 3, bytes: [1, 2, 3, 4] });

    const reused = new Uint8Array(FILE_CHUNK_HEADER_BYTES + 8).fill(0xee);
    const frame = encodeFileChunk(9, 64, bytes, reused);
    expect(frame.buffer).toBe(reused.buffer);
    expect(frame.byteLength).toBe(FILE_CHUNK_HEADER_BYTES + 4);
    const decoded = decodeFileChunk(frame);
    expect(decoded && { stream: decoded.stream, offset: decoded.offset, bytes: [...decoded.bytes] }).toEqual({ stream: 9, offset: 64, bytes: [1, 2, 3, 4] });
    expect(() => encodeFileChunk(9, 64, new Uint8Array(9), reused)).toThrow(RangeError);
  });
});
