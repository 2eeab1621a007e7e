/**
 * The cryptographic contract between the browsers of one room: what is derived from the room key,
 * how a signal payload is sealed, what a membership proof and a message signature cover, and what
 * a safety code is made of. Only layouts and labels live here (pure TypeScript, shared by every
 * browser and by the tests); web/security/ does the WebCrypto work. docs/security.md explains the
 * design for people.
 *
 * Every byte string that is signed, MACed or used as associated data is the UTF-8 of a JSON array
 * whose first element names its purpose and version, so no value signed for one purpose can be
 * passed off as another.
 */
import * as v from 'valibot';
import type { Act } from './peer.js';

// ---- the room key ----------------------------------------------------------------------------

/**
 * A room key is at least 22 base64url characters: 132 bits when it is random, as Parley makes
 * them. Anything shorter could be guessed offline from the room id the server sees, so it is
 * refused, never used.
 */
export const MIN_ROOM_KEY_LENGTH = 22;
export const MAX_ROOM_KEY_LENGTH = 256;
export const ROOM_KEY_PATTERN = `^[A-Za-z0-9_-]{${MIN_ROOM_KEY_LENGTH},${MAX_ROOM_KEY_LENGTH}}$`;

/** HKDF-SHA-256 over the room key's bytes: one salt, one `info` label per derived key. */
export const ROOM_KEY_HKDF_SALT = 'parley/room-key/v2';
export const RoomKeyPurpose = {
  /** 32 bytes, base64url: the room id, the only thing the server learns of the key. */
  RoomId: 'parley/room-id/v2',
  /** AES-256-GCM: seals signal payloads end to end. */
  SignalSeal: 'parley/signal-seal/v2',
  /** HMAC-SHA-256: members prove they hold the room key, bound to one connection. */
  Membership: 'parley/membership/v2',
} as const;

// ---- sealed signal payloads ------------------------------------------------------------------

/** What kind of WebRTC payload is sealed inside; bound into the associated data. */
export const SignalKind = {
  Offer: 'offer',
  Answer: 'answer',
  Candidate: 'candidate',
  /** Anything else the WebRTC layer sends (renegotiation requests). */
  Other: 'other',
} as const;
export type SignalKind = (typeof SignalKind)[keyof typeof SignalKind];

/** The kind of a plain payload as the WebRTC layer made it. */
export function signalKindOf(data: Record<string, unknown>): SignalKind {
  if (data.type === 'offer') return SignalKind.Offer;
  if (data.type === 'answer') return SignalKind.Answer;
  if (data.type === 'candidate' || data.candidate !== undefined) return SignalKind.Candidate;
  return SignalKind.Other;
}

/** AES-GCM's nonce: 96 random bits, in front of the ciphertext. */
export const SEAL_IV_BYTES = 12;

/** Longest sealed payload (base64url of nonce + ciphertext + tag) a browser tries to open. */
export const MAX_SEALED_LENGTH = 64 * 1024;

/**
 * A sealed signal, as the server relays it:
 * - `k`: the kind (the server could tell offers from candidates by their timing anyway);
 * - `n`: the sender's counter, strictly increasing over everything it sends in the room, across
 *   reloads too (it starts from the clock); a receiver opens only payloads with a higher `n` than
 *   the last one it opened from that sender, so a replayed or reordered payload fails;
 * - `c`: base64url(nonce ‖ AES-GCM ciphertext and tag) of the payload's JSON.
 */
export const SealedSignalSchema = v.strictObject({
  k: v.picklist(Object.values(SignalKind)),
  n: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
  c: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]+$/), v.maxLength(MAX_SEALED_LENGTH)),
});
export type SealedSignalFields = v.InferOutput<typeof SealedSignalSchema>;

/**
 * The associated data of a sealed payload: room, sender, recipient, kind and counter. A payload
 * whose bytes were changed, or which is delivered from another sender, to another recipient, in
 * another room, as another kind or with another counter, fails to open.
 */
export function signalAssociatedData(roomId: string, from: string, to: string, kind: SignalKind, counter: number): string {
  return JSON.stringify(['parley/signal/v2', roomId, from, to, kind, counter]);
}

// ---- proving membership on a connection ------------------------------------------------------

/** What one side of a data channel proves about itself, on exactly this connection. */
export interface ProofContext {
  roomId: string;
  /** The side that proves, and the one it proves to. */
  proverId: string;
  verifierId: string;
  /** The DTLS certificate fingerprints as each side applied them (its local and remote description). */
  proverFingerprint: string;
  verifierFingerprint: string;
  /** The prover's public signing key (base64url, raw) and session commit (protocol/ids.ts). */
  proverKey: string;
  proverCommit: string;
}

/**
 * The transcript a prover MACs with the membership key and signs with its signing key. Both DTLS
 * fingerprints are in it, so a proof made on one connection is worthless on any other, and a
 * server that put its own certificate between the two sides would make the two sides' views of
 * the fingerprints differ: the proof fails.
 */
export function proofTranscript(context: ProofContext): string {
  const { roomId, proverId, verifierId, proverFingerprint, verifierFingerprint, proverKey, proverCommit } = context;
  return JSON.stringify(['parley/proof/v2', roomId, proverId, verifierId, proverFingerprint, verifierFingerprint, proverKey, proverCommit]);
}

// ---- signed messages -------------------------------------------------------------------------

/** What an author signs for every message: room, message id, text, time and name. */
export function messageSignaturePayload(roomId: string, id: string, text: string, sentAt: number, name: string): string {
  return JSON.stringify(['parley/message/v2', roomId, id, text, sentAt, name]);
}

/**
 * What an author signs for an act (a reply, a file offer, an edit, a deletion, a reaction): room,
 * act id, time, name and every field of the act, in a fixed order per kind (so the signature never
 * depends on how a JSON encoder ordered the keys).
 */
export function actSignaturePayload(roomId: string, id: string, sentAt: number, name: string, act: Act): string {
  return JSON.stringify(['parley/act/v1', roomId, id, sentAt, name, ...actFields(act)]);
}

function actFields(act: Act): unknown[] {
  switch (act.kind) {
    case 'reply':
    case 'edit':
      return [act.kind, act.to, act.text];
    case 'delete':
      return [act.kind, act.to];
    case 'react':
      return [act.kind, act.to, act.emoji, act.on];
    case 'file': {
      const thumb = act.thumb ? [act.thumb.mime, act.thumb.data, act.thumb.width, act.thumb.height] : null;
      return [act.kind, act.name, act.size, act.mime, act.digest, thumb];
    }
    default: {
      const unknownAct: never = act;
      throw new Error(`no signature layout for ${JSON.stringify(unknownAct)}`);
    }
  }
}

// ---- safety codes ----------------------------------------------------------------------------

/** One side of a connection, for its safety code. */
export interface SafetyCodeParty {
  id: string;
  /** base64url raw public signing key. */
  key: string;
  /** Its DTLS certificate fingerprint on this connection. */
  fingerprint: string;
}

/**
 * The text hashed into a connection's safety code: both parties in the order of their ids, so the
 * two browsers hash the same text when (and only when) they see the same keys and certificates.
 */
export function safetyCodeInput(a: SafetyCodeParty, b: SafetyCodeParty): string {
  const [first, second] = a.id < b.id ? [a, b] : [b, a];
  return JSON.stringify(['parley/safety-code/v2', first.id, first.key, first.fingerprint, second.id, second.key, second.fingerprint]);
}

/** Digits in a safety code (shown in groups of four): 40 bits. */
export const SAFETY_CODE_DIGITS = 12;
