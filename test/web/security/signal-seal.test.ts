// Sealed signaling, attacked the way a hostile signaling server would: it holds every sealed
// payload and may change, redirect, replay, reorder or invent them, but has no room key.
import { beforeEach, describe, expect, it } from 'vitest';
import { SignalSeal, type UnsealResult } from '../../../web/security/signal-seal.js';
import { createRoomKey, deriveRoomKeys, type RoomKeys } from '../../../web/security/room-keys.js';
import { base64url, fromBase64url } from '../../../web/security/encoding.js';
import type { SealedSignalFields } from '../../../protocol/room-crypto.js';

const ADA = 'a'.repeat(22);
const BOB = 'b'.repeat(22);
const CY = 'c'.repeat(22);
const offer = { type: 'offer', sdp: 'v=0\r\na=fingerprint:sha-256 AA:BB\r\n' };
const candidate = { type: 'candidate', candidate: { candidate: 'candidate:1 1 udp 1 192.0.2.1 5000 typ host', sdpMid: '0' } };

let keys: RoomKeys;
let now: number;
const sealFor = (selfId: string, roomKeys = keys) => new SignalSeal({ roomId: roomKeys.roomId, selfId, key: roomKeys.sealKey, now: () => now });
const failure = (result: UnsealResult) => (result.ok ? 'opened' : result.failure);

beforeEach(async () => {
  keys = await deriveRoomKeys(createRoomKey());
  now = Date.UTC(2026, 11, 2);
});

describe('sealed signals', () => {
  it('open for the recipient, from the sender, and carry nothing readable', async () => {
    const sealed = await sealFor(ADA).seal(BOB, offer);
    expect(sealed.k).toBe('offer');
    expect(JSON.stringify(sealed)).not.toMatch(/fingerprint|v=0|sdp/);
    expect(await sealFor(BOB).open(ADA, sealed)).toEqual({ ok: true, data: offer });
  });

  it('do not open with one byte flipped', async () => {
    const sealed = await sealFor(ADA).seal(BOB, offer);
    const bytes = fromBase64url(sealed.c);
    bytes[bytes.length - 20]! ^= 0x01;
    expect(failure(await sealFor(BOB).open(ADA, { ...sealed, c: base64url(bytes) }))).toBe('forged');
  });

  it('do not open when redirected to another member, or presented as from another sender', async () => {
    const sealed = await sealFor(ADA).seal(BOB, offer);
    expect(failure(await sealFor(CY).open(ADA, sealed))).toBe('forged');
    expect(failure(await sealFor(BOB).open(CY, sealed))).toBe('forged');
  });

  it('do not open as another kind, or with another counter', async () => {
    const sealed = await sealFor(ADA).seal(BOB, offer);
    expect(failure(await sealFor(BOB).open(ADA, { ...sealed, k: 'answer' }))).toBe('forged');
    expect(failure(await sealFor(BOB).open(ADA, { ...sealed, n: sealed.n + 1 }))).toBe('forged');
  });

  it('do not open a second time (a replay), nor after a later one (a reordering)', async () => {
    const ada = sealFor(ADA);
    const bob = sealFor(BOB);
    const first = await ada.seal(BOB, offer);
    const second = await ada.seal(BOB, candidate);
    expect(second.n).toBeGreaterThan(first.n);
    expect(failure(await bob.open(ADA, second))).toBe('opened');
    expect(failure(await bob.open(ADA, first))).toBe('replayed');
    expect(failure(await bob.open(ADA, second))).toBe('replayed');
  });

  it('keep counting up after the sender reloads, so its new offers are not taken for replays', async () => {
    const bob = sealFor(BOB);
    expect(failure(await bob.open(ADA, await sealFor(ADA).seal(BOB, offer)))).toBe('opened');
    now += 1;
    expect(failure(await bob.open(ADA, await sealFor(ADA).seal(BOB, offer)))).toBe('opened');
  });

  it('do not open in another room, or when made without the room key', async () => {
    const otherRoom = await deriveRoomKeys(createRoomKey());
    expect(failure(await sealFor(BOB).open(ADA, await sealFor(ADA, otherRoom).seal(BOB, offer)))).toBe('forged');
  });

  it.each<[string, unknown]>([
    ['a plain offer', offer],
    ['junk', 'hello'],
    ['an extra field', { k: 'offer', n: 1, c: 'AAAA', sdp: 'v=0' }],
    ['a bad counter', { k: 'offer', n: -1, c: 'AAAA' }],
    ['a short blob', { k: 'offer', n: 1, c: 'AAAA' }],
    ['an unknown kind', { k: 'shout', n: 1, c: 'AAAAAAAAAAAAAAAAAAAAAAAA' }],
  ])('refuse %s', async (_label, payload) => {
    expect(failure(await sealFor(BOB).open(ADA, payload))).toBe('malformed');
  });

  it('are opened in the order they arrived, whatever each one costs', async () => {
    const ada = sealFor(ADA);
    const sealed: SealedSignalFields[] = [];
    for (let index = 0; index < 20; index += 1) sealed.push(await ada.seal(BOB, { ...candidate, index }));
    const bob = sealFor(BOB);
    const results = await Promise.all(sealed.map((payload) => bob.open(ADA, payload)));
    expect(results.map(failure)).toEqual(sealed.map(() => 'opened'));
  });
});
