/**
 * Every id Parley puts on the wire: its format, its length, and the text it is hashed from.
 * Defined once here for the server (signaling/) and the browser (web/). Pure TypeScript.
 */

/** The URL- and filename-safe base64 alphabet (RFC 4648 §5), as a regular-expression class body. */
const BASE64URL_CLASS = 'A-Za-z0-9_-';

/** Room ids are base64url(SHA-256(room id hash input)): 32 bytes, 43 characters without padding. */
export const ROOM_ID_LENGTH = 43;
export const ROOM_ID_PATTERN = `^[${BASE64URL_CLASS}]{${ROOM_ID_LENGTH}}$`;

/** Domain separation: the room id can never collide with another use of SHA-256 over the same key. */
export const ROOM_ID_CONTEXT = 'parley/room-id/v1:';

/** The text whose SHA-256 gives the room id; the room key itself never leaves the browser. */
export function roomIdHashInput(roomKey: string): string {
  return `${ROOM_ID_CONTEXT}${roomKey}`;
}

/** Peer ids are the first 22 base64url characters (132 bits) of a SHA-256 digest (below). */
export const PEER_ID_LENGTH = 22;
export const PEER_ID_PATTERN = `^[${BASE64URL_CLASS}]{${PEER_ID_LENGTH}}$`;

/**
 * peer id = first PEER_ID_LENGTH characters of base64url(SHA-256(PEER_ID_CONTEXT + room id + ":" +
 * session)). The secret never leaves the connection that presents it, and the id cannot be turned
 * back into the secret, so nobody can take over someone else's id; the same tab gets the same id.
 */
export const PEER_ID_CONTEXT = 'parley/peer-id/v1:';

/** The text whose SHA-256 gives the peer id; each side hashes it with its own SHA-256. */
export function peerIdHashInput(roomId: string, sessionSecret: string): string {
  return `${PEER_ID_CONTEXT}${roomId}:${sessionSecret}`;
}

/**
 * A session secret: at least 128 random bits in base64url, made by the client and kept for the
 * life of its tab (sessionStorage), so that a reload or a reconnect is the same participant.
 */
export const SESSION_SECRET_PATTERN = `^[${BASE64URL_CLASS}]{22,64}$`;

/** A chat message id, `<author peer id>:<sequence>`: unique per author, ordered per author. */
export const MESSAGE_ID_PATTERN = `^[${BASE64URL_CLASS}]{${PEER_ID_LENGTH}}:[1-9][0-9]{0,15}$`;

export function messageId(authorId: string, sequence: number): string {
  return `${authorId}:${sequence}`;
}

/** The author peer id inside a message id. */
export function authorOf(id: string): string {
  return id.slice(0, id.indexOf(':'));
}

/** The per-author sequence number inside a message id. */
export function sequenceOf(id: string): number {
  return Number(id.slice(id.indexOf(':') + 1));
}
