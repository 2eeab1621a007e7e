// Room keys and what is derived from them, with WebCrypto as the browser has it (Node's is the
// same API). The server side of the peer id is computed by the server's own code.
import { createHmac, hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createRoomKey, createSessionSecret, deriveRoomKeys, isValidRoomKey, roomKeyProblem, RoomKeyError } from '../../../web/security/room-keys.js';
import { base64url, fromBase64url } from '../../../web/security/encoding.js';
import { generateSigningKeys, peerIdFor, signingIdentity } from '../../../web/security/identity-keys.js';
import { derivePeerId as serverDerivePeerId } from '../../../signaling/session.js';
import { PEER_ID_PATTERN, ROOM_ID_PATTERN } from '../../../protocol/ids.js';
import { MIN_ROOM_KEY_LENGTH } from '../../../protocol/room-crypto.js';

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

  it('refuses keys too short to be secret, and characters a key cannot have, saying why', async () => {
    expect(roomKeyProblem('short-key')).toMatch(`at least ${MIN_ROOM_KEY_LENGTH} characters long (this one has 9)`);
    expect(roomKeyProblem('x'.repeat(21))).toMatch(/could be guessed/);
    for (const bad of ['', 'has spaces in it 1234567', 'ünïcode-ünïcode-ünïcode', 'a/b+c=d'.repeat(4), 'x'.repeat(257)]) {
      expect(isValidRoomKey(bad)).toBe(false);
      expect(roomKeyProblem(bad)).toBeDefined();
    }
    await expect(deriveRoomKeys('team-standup')).rejects.toThrow(RoomKeyError);
  });
});

describe('keys derived from a room key', () => {
  it('give the room id by HKDF-SHA-256, as the protocol says, and never contain the key', async () => {
    const key = 'YQh6WNlRY7IPUGY_8IQGbA';
    const { roomId } = await deriveRoomKeys(key);
    const expected = Buffer.from(hkdfSync('sha256', key, 'parley/room-key/v2', 'parley/room-id/v2', 32)).toString('base64url');
    expect(roomId).toBe(expected);
    expect(roomId).toMatch(new RegExp(ROOM_ID_PATTERN));
    expect(roomId).not.toContain(key);
  });

  it('are separate: the membership key is HKDF with its own label, unrelated to the room id', async () => {
    const key = createRoomKey();
    const { roomId, membershipKey } = await deriveRoomKeys(key);
    const membershipBytes = hkdfSync('sha256', key, 'parley/room-key/v2', 'parley/membership/v2', 32);
    const mac = new Uint8Array(await crypto.subtle.sign('HMAC', membershipKey, new TextEncoder().encode('x')));
    expect(base64url(mac)).toBe(createHmac('sha256', Buffer.from(membershipBytes)).update('x').digest('base64url'));
    expect(Buffer.from(membershipBytes).toString('base64url')).not.toBe(roomId);
  });

  it('cannot be read out of the page (the keys are not extractable)', async () => {
    const { sealKey, membershipKey } = await deriveRoomKeys(createRoomKey());
    await expect(crypto.subtle.exportKey('raw', sealKey)).rejects.toThrow();
    await expect(crypto.subtle.exportKey('raw', membershipKey)).rejects.toThrow();
  });

  it('differ per key', async () => {
    expect((await deriveRoomKeys(createRoomKey())).roomId).not.toBe((await deriveRoomKeys(createRoomKey())).roomId);
  });
});

describe('peer ids', () => {
  it('are derived in the browser exactly as the server derives them, from the key and the secret', async () => {
    for (let index = 0; index < 10; index += 1) {
      const { roomId } = await deriveRoomKeys(createRoomKey());
      const secret = createSessionSecret();
      const self = await signingIdentity(roomId, secret, await generateSigningKeys());
      expect(self.peerId).toMatch(new RegExp(PEER_ID_PATTERN));
      expect(self.peerId).toBe(serverDerivePeerId(roomId, self.publicKeyDigest, secret));
      // What members check: the id from the public key and the commit, without the secret.
      expect(await peerIdFor(roomId, self.publicKey, self.commit)).toBe(self.peerId);
      expect(self.commit).not.toContain(secret);
    }
  });

  it('cannot be paired with another key: another key gives another id', async () => {
    const { roomId } = await deriveRoomKeys(createRoomKey());
    const secret = createSessionSecret();
    const ada = await signingIdentity(roomId, secret, await generateSigningKeys());
    const mallory = await signingIdentity(roomId, secret, await generateSigningKeys());
    expect(await peerIdFor(roomId, mallory.publicKey, ada.commit)).not.toBe(ada.peerId);
  });

  it('differ between rooms for the same tab', async () => {
    const secret = createSessionSecret();
    const keys = await generateSigningKeys();
    const a = await signingIdentity((await deriveRoomKeys(createRoomKey())).roomId, secret, keys);
    const b = await signingIdentity((await deriveRoomKeys(createRoomKey())).roomId, secret, keys);
    expect(a.peerId).not.toBe(b.peerId);
  });
});

describe('base64url', () => {
  it('matches Node for every byte value, both ways', () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, index) => index);
    expect(base64url(bytes)).toBe(Buffer.from(bytes).toString('base64url'));
    expect([...fromBase64url(base64url(bytes))]).toEqual([...bytes]);
    expect(() => fromBase64url('a+b/')).toThrow();
  });
});
