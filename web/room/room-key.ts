/**
 * Room keys and room ids. The key is the secret in the room link (after `#`, so browsers never
 * send it to a server); the signaling server only ever sees the id derived from it.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { PEER_ID_LENGTH, peerIdHashInput, roomIdHashInput } from '../../protocol/ids.js';

/** 16 random bytes = 128 bits, base64url: 22 characters. */
const ROOM_KEY_BYTES = 16;

/** What the standalone app accepts after `#`: a base64url key of at least 128 bits. */
export const ROOM_KEY_PATTERN = /^[A-Za-z0-9_-]{22,256}$/;

export function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A fresh random room key, made in the browser. */
export function createRoomKey(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(ROOM_KEY_BYTES)));
}

export function isValidRoomKey(key: string): boolean {
  return ROOM_KEY_PATTERN.test(key);
}

/**
 * base64url(SHA-256(context + key)): 43 characters. Computed with a small pure-JS SHA-256 rather
 * than crypto.subtle, which is missing on plain-http origins other than localhost (a LAN test).
 */
export function deriveRoomId(roomKey: string): string {
  return base64url(sha256(new TextEncoder().encode(roomIdHashInput(roomKey))));
}

/** The peer id the server will derive for this session secret in this room (see the protocol). */
export function derivePeerId(roomId: string, sessionSecret: string): string {
  return base64url(sha256(new TextEncoder().encode(peerIdHashInput(roomId, sessionSecret)))).slice(0, PEER_ID_LENGTH);
}

/** A fresh session secret: 128 random bits, base64url. */
export function createSessionSecret(): string {
  return createRoomKey();
}
