// Made-up join credentials. The server checks only their format and derives the peer id from them,
// so random values stand in for what a browser makes (web/security/identity-keys.ts).
import { randomBytes } from 'node:crypto';

/** What a client presents in `join` besides the room: the same pair is the same participant. */
export interface Participant {
  /** Session secret: 128 random bits, base64url (22 characters). */
  session: string;
  /** Key digest: 43 base64url characters, as SHA-256 of a public signing key would be. */
  key: string;
}

export const newSessionSecret = (): string => randomBytes(16).toString('base64url');

/** 32 random bytes look exactly like a SHA-256 digest to the server, which never sees the key. */
export const newKeyDigest = (): string => randomBytes(32).toString('base64url');

export const newParticipant = (): Participant => ({ session: newSessionSecret(), key: newKeyDigest() });
