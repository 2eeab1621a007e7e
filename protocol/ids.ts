/**
 * Every id Parley puts on the wire: its format, its length, and the text it is hashed from.
 * Defined once here for the server (signaling/) and the browser (web/). Pure TypeScript.
 */

/** The URL- and filename-safe base64 alphabet (RFC 4648 §5), as a regular-expression class body. */
const BASE64URL_CLASS = 'A-Za-z0-9_-';

/**
 * Room ids are 32 bytes derived from the room key with HKDF (protocol/room-crypto.ts), base64url:
 * 43 characters without padding. The key itself never leaves the browser.
 */
export const ROOM_ID_LENGTH = 43;
export const ROOM_ID_PATTERN = `^[${BASE64URL_CLASS}]{${ROOM_ID_LENGTH}}$`;

/** A SHA-256 digest in base64url: 43 characters. */
export const DIGEST_LENGTH = 43;
export const DIGEST_PATTERN = `^[${BASE64URL_CLASS}]{${DIGEST_LENGTH}}$`;

/** Peer ids are the first 22 base64url characters (132 bits) of a SHA-256 digest (below). */
export const PEER_ID_LENGTH = 22;
export const PEER_ID_PATTERN = `^[${BASE64URL_CLASS}]{${PEER_ID_LENGTH}}$`;

/**
 * A peer id binds three things: the room, the participant's public signing key, and a secret only
 * the participant's tab knows.
 *
 *   key digest = base64url(SHA-256(the raw 65-byte P-256 public key))
 *   commit  = base64url(SHA-256(SESSION_COMMIT_CONTEXT + session secret))
 *   peer id = first PEER_ID_LENGTH characters of
 *             base64url(SHA-256(PEER_ID_CONTEXT + room id + ":" + key digest + ":" + commit))
 *
 * The server derives the id from the secret it is sent in `join` (and forgets the secret), so no
 * client can take an id whose secret it does not have. Members check the id from the key and the
 * commit a peer shows them, so an id cannot be paired with someone else's key; and the commit does
 * not give the secret away, so showing it lets nobody join as that id.
 */
export const PEER_ID_CONTEXT = 'parley/peer-id/v2:';
export const SESSION_COMMIT_CONTEXT = 'parley/session-commit/v2:';

/** The text whose SHA-256 gives a session secret's commit. */
export function sessionCommitHashInput(sessionSecret: string): string {
  return `${SESSION_COMMIT_CONTEXT}${sessionSecret}`;
}

/** The text whose SHA-256 gives the peer id; each side hashes it with its own SHA-256. */
export function peerIdHashInput(roomId: string, keyDigest: string, commit: string): string {
  return `${PEER_ID_CONTEXT}${roomId}:${keyDigest}:${commit}`;
}

/**
 * A session secret: at least 128 random bits in base64url, made by the client and kept for the
 * life of its tab (sessionStorage), so that a reload or a reconnect is the same participant.
 * Only the participant's own connection to the server ever carries it.
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
