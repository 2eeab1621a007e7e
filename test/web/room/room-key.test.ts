import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { base64url, createRoomKey, createSessionSecret, derivePeerId, deriveRoomId, isValidRoomKey } from '../../../web/room/room-key.js';
import { derivePeerId as serverDerivePeerId } from '../../../signaling/session.js';
import { PEER_ID_PATTERN, ROOM_ID_PATTERN } from '../../../protocol/ids.js';

describe('room keys', () => {
  it('are 128 random bits in base64url', () => {
    const keys = new Set(Array.from({ length: 200 }, () => createRoomKey()));
    expect(keys.size).toBe(200);
    for (const key of keys) {
      expect(key).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(Buffer.from(key, 'base64url')).toHaveLength(16);
      expect(isValidRoomKey(key)).toBe(true);
    }
  });

  it('rejects links that are not room keys', () => {
    for (const bad of ['', 'short', 'has spaces in it 1234567', 'x'.repeat(21), 'ünïcode-ünïcode-ünïcode', 'a/b+c=d'.repeat(4)]) {
      expect(isValidRoomKey(bad)).toBe(false);
    }
  });
});

describe('room ids', () => {
  it('are base64url(SHA-256(context + key)), matching the protocol', () => {
    const key = 'YQh6WNlRY7IPUGY_8IQGbA';
    const expected = createHash('sha256').update(`parley/room-id/v1:${key}`).digest('base64url');
    expect(deriveRoomId(key)).toBe(expected);
    expect(deriveRoomId(key)).toMatch(new RegExp(ROOM_ID_PATTERN));
  });

  it('differ per key and never contain the key', () => {
    const a = createRoomKey();
    const b = createRoomKey();
    expect(deriveRoomId(a)).not.toBe(deriveRoomId(b));
    expect(deriveRoomId(a)).not.toContain(a);
  });

  it('hash UTF-8, so any string from an embedding page works', () => {
    const key = 'équipe 🦊 standup';
    const expected = createHash('sha256').update(`parley/room-id/v1:${key}`, 'utf8').digest('base64url');
    expect(deriveRoomId(key)).toBe(expected);
  });

  it('base64url matches Node for every byte value', () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, index) => index);
    expect(base64url(bytes)).toBe(Buffer.from(bytes).toString('base64url'));
  });
});

describe('peer ids', () => {
  it('are derived in the browser exactly as the server derives them', () => {
    for (let index = 0; index < 20; index += 1) {
      const roomId = deriveRoomId(createRoomKey());
      const secret = createSessionSecret();
      const id = derivePeerId(roomId, secret);
      expect(id).toBe(serverDerivePeerId(roomId, secret));
      expect(id).toMatch(new RegExp(PEER_ID_PATTERN));
    }
  });

  it('differ between rooms for the same tab, and between tabs', () => {
    const secret = createSessionSecret();
    const roomA = deriveRoomId(createRoomKey());
    const roomB = deriveRoomId(createRoomKey());
    expect(derivePeerId(roomA, secret)).not.toBe(derivePeerId(roomB, secret));
    expect(derivePeerId(roomA, secret)).not.toBe(derivePeerId(roomA, createSessionSecret()));
  });
});
