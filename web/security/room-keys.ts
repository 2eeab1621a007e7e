/**
 * Room keys and what is derived from them. The key is the secret in the room link (after `#`, so
 * browsers never send it to a server). HKDF-SHA-256 turns it into three independent values: the
 * room id (all the server ever learns), the key that seals signaling, and the key members use to
 * prove they hold the room key. Knowing one of them gives nothing about the others or the key.
 */
import { base64url, utf8 } from './encoding.js';
import { MIN_ROOM_KEY_LENGTH, ROOM_KEY_HKDF_SALT, ROOM_KEY_PATTERN, RoomKeyPurpose } from '../../protocol/room-crypto.js';

/** 16 random bytes = 128 bits, base64url: 22 characters. */
const ROOM_KEY_BYTES = 16;

const ROOM_KEY = new RegExp(ROOM_KEY_PATTERN);

export class RoomKeyError extends Error {
  override name = 'RoomKeyError';
}

/** Why a room key cannot be used, in words for the person or developer who chose it; undefined if fine. */
export function roomKeyProblem(key: string): string | undefined {
  if (ROOM_KEY.test(key)) return undefined;
  if (key.length < MIN_ROOM_KEY_LENGTH && /^[A-Za-z0-9_-]*$/.test(key)) {
    return `A room key must be at least ${MIN_ROOM_KEY_LENGTH} characters long (this one has ${key.length}): a shorter one could be guessed. Use a room link made by "New room", or createRoomKey().`;
  }
  return `A room key may only contain the letters A–Z and a–z, digits, "-" and "_", ${MIN_ROOM_KEY_LENGTH} to 256 of them. Use a room link made by "New room", or createRoomKey().`;
}

export function isValidRoomKey(key: string): boolean {
  return ROOM_KEY.test(key);
}

/** A fresh random room key, made in the browser. */
export function createRoomKey(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(ROOM_KEY_BYTES)));
}

/** A fresh session secret: 128 random bits, base64url. */
export function createSessionSecret(): string {
  return createRoomKey();
}

export interface RoomKeys {
  /** What the server knows the room by. */
  readonly roomId: string;
  /** AES-256-GCM, not extractable: seals signal payloads. */
  readonly sealKey: CryptoKey;
  /** HMAC-SHA-256, not extractable: proves membership on a connection. */
  readonly membershipKey: CryptoKey;
}

/**
 * Whether this page can do the room's cryptography at all: WebCrypto exists only in secure
 * contexts (https, or http on localhost).
 */
export function hasWebCrypto(): boolean {
  return typeof crypto !== 'undefined' && typeof crypto.subtle?.importKey === 'function';
}

/** Derives the room id and the room's keys. Throws RoomKeyError for a key that cannot be used. */
export async function deriveRoomKeys(roomKey: string): Promise<RoomKeys> {
  const problem = roomKeyProblem(roomKey);
  if (problem) throw new RoomKeyError(problem);
  const material = await crypto.subtle.importKey('raw', utf8(roomKey), 'HKDF', false, ['deriveBits', 'deriveKey']);
  const hkdf = (purpose: string): HkdfParams => ({ name: 'HKDF', hash: 'SHA-256', salt: utf8(ROOM_KEY_HKDF_SALT), info: utf8(purpose) });
  const [roomIdBits, sealKey, membershipKey] = await Promise.all([
    crypto.subtle.deriveBits(hkdf(RoomKeyPurpose.RoomId), material, 256),
    crypto.subtle.deriveKey(hkdf(RoomKeyPurpose.SignalSeal), material, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']),
    crypto.subtle.deriveKey(hkdf(RoomKeyPurpose.Membership), material, { name: 'HMAC', hash: 'SHA-256', length: 256 }, false, ['sign', 'verify']),
  ]);
  return { roomId: base64url(new Uint8Array(roomIdBits)), sealKey, membershipKey };
}
