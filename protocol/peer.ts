/**
 * What peers say to each other over a data channel; the signaling server never sees these frames.
 * Defined once as valibot schemas (small in the bundle), with the types inferred from them.
 * Everything that arrives is untrusted: decodePeerFrame checks size, version and schema, so a bad
 * frame is dropped (and counted), never thrown into the UI.
 *
 * - prove:   the first frame on every connection, both ways: the sender's public signing key and
 *            session commit (which give its peer id), and its proof that it holds the room key,
 *            bound to this connection (protocol/room-crypto.ts). Nothing else is sent or accepted
 *            on a connection until the other side's proof checks out.
 * - profile: the sender's display name (after the proofs; again on every rename)
 * - chat:    a new message from the sender, signed by it (its author is the channel's peer)
 * - ack:     "I have these messages of yours" (delivery receipts, peer to peer)
 * - history: part of the sender's recent transcript, sent once right after the proofs, so late
 *            joiners, reloads and reconnects catch up; every entry signed by its author, with
 *            the authors' keys alongside so anyone can check them; merged by id on arrival
 * - bye:     the sender is leaving the room (closing the tab, or leaving the chat)
 * - ping:    "are you still there?" — asked when the server says the sender's peer was lost with
 *            its signaling connection while the direct link still looks open
 * - pong:    the answer to a ping
 *
 * The version rule (docs/peer-protocol.md): every frame carries `v`, the sender's version (absent:
 * 1, the pages from before the field). A frame of this version or an older one must match its
 * schema exactly. A newer version may only add: new fields, which are ignored here, and new frame
 * types, which are set aside as unsupported (counted apart from invalid frames), so an older peer
 * keeps working with a newer one instead of silently dropping everything it sends.
 */
import * as v from 'valibot';
import { MAX_NAME_LENGTH } from './names.js';
import { DIGEST_PATTERN, MESSAGE_ID_PATTERN, PEER_ID_PATTERN } from './ids.js';

/**
 * This build's peer protocol version: bumped when frames gain fields or new types appear.
 * 2: prove and profile frames, signed chat and history.
 * 3: ping and pong (a liveness probe). A version 2 peer sets a ping aside unanswered, and is then
 *    treated as a peer that did not answer: dropped, and met again when it rejoins.
 */
export const PEER_PROTOCOL_VERSION = 3;

export const PeerMessageType = {
  Prove: 'prove',
  Profile: 'profile',
  Chat: 'chat',
  Ack: 'ack',
  History: 'history',
  Bye: 'bye',
  Ping: 'ping',
  Pong: 'pong',
} as const;

/** Longest chat message, in UTF-16 code units (what a textarea's maxlength counts). */
export const MAX_CHAT_TEXT_LENGTH = 16_000;

/** Largest inbound data channel frame that is parsed at all (Chromium's own limit is 256 KiB). */
export const MAX_PEER_FRAME_LENGTH = 128 * 1024;

/** History frames are cut at about this many characters, several frames for a long transcript. */
export const HISTORY_FRAME_TARGET_LENGTH = 48 * 1024;

/** Most messages a transcript exchange carries. */
export const HISTORY_LIMIT = 200;

/** Most ids in one ack frame. */
const MAX_ACK_IDS = 500;

const MessageId = v.pipe(v.string(), v.regex(new RegExp(MESSAGE_ID_PATTERN)));
const Text = v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_CHAT_TEXT_LENGTH));
const Timestamp = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(8.64e15));
const Name = v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_NAME_LENGTH * 2));
const Version = v.pipe(v.number(), v.integer(), v.minValue(1));
const PeerId = v.pipe(v.string(), v.regex(new RegExp(PEER_ID_PATTERN)));
const Digest = v.pipe(v.string(), v.regex(new RegExp(DIGEST_PATTERN)));
/** A P-256 public key, raw (uncompressed point, 65 bytes), base64url: 87 characters. */
export const PUBLIC_KEY_LENGTH = 87;
const PublicKey = v.pipe(v.string(), v.regex(new RegExp(`^[A-Za-z0-9_-]{${PUBLIC_KEY_LENGTH}}$`)));
/** An ECDSA P-256 signature (r ‖ s, 64 bytes), base64url: 86 characters. */
const Signature = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{86}$/));

/**
 * The frames' schemas, built twice from the same fields: exact (`strictObject`) for frames of this
 * version or older, and tolerant of added fields (`object`, which drops them) for newer ones.
 */
function peerMessageSchema(exact: boolean) {
  // Typed as the strict one: both infer the same output (`object` drops the fields it does not know).
  const frame = (exact ? v.strictObject : v.object) as typeof v.strictObject;
  const historyEntry = frame({ id: MessageId, text: Text, sentAt: Timestamp, name: Name, sig: Signature });
  const author = frame({ id: PeerId, key: PublicKey, commit: Digest });
  return v.variant('type', [
    frame({
      type: v.literal(PeerMessageType.Prove),
      /** The sender's public signing key and session commit: they give its peer id (protocol/ids.ts). */
      key: PublicKey,
      commit: Digest,
      /** HMAC-SHA-256 of the proof transcript with the membership key. */
      proof: Digest,
      /** The sender's signature over the same transcript. */
      sig: Signature,
    }),
    frame({ type: v.literal(PeerMessageType.Profile), name: Name }),
    frame({
      type: v.literal(PeerMessageType.Chat),
      id: MessageId,
      text: Text,
      /** The author's clock, ms since the epoch. */
      sentAt: Timestamp,
      /** The author's display name when sending. */
      name: Name,
      /** The author's signature over room, id, text, time and name (protocol/room-crypto.ts). */
      sig: Signature,
    }),
    frame({ type: v.literal(PeerMessageType.Ack), ids: v.pipe(v.array(MessageId), v.minLength(1), v.maxLength(MAX_ACK_IDS)) }),
    frame({
      type: v.literal(PeerMessageType.History),
      /** The public keys of the entries' authors, so every entry can be checked by anyone. */
      authors: v.pipe(v.array(author), v.maxLength(HISTORY_LIMIT)),
      messages: v.pipe(v.array(historyEntry), v.maxLength(HISTORY_LIMIT)),
    }),
    frame({ type: v.literal(PeerMessageType.Bye) }),
    frame({ type: v.literal(PeerMessageType.Ping) }),
    frame({ type: v.literal(PeerMessageType.Pong) }),
  ]);
}

const ExactPeerMessage = peerMessageSchema(true);
const NewerPeerMessage = peerMessageSchema(false);
const KNOWN_TYPES = new Set<unknown>(Object.values(PeerMessageType));

export type PeerMessage = v.InferOutput<typeof ExactPeerMessage>;
export type HistoryEntry = Extract<PeerMessage, { type: 'history' }>['messages'][number];
export type HistoryAuthor = Extract<PeerMessage, { type: 'history' }>['authors'][number];

/**
 * What became of an inbound frame: a message; a frame a newer peer sent that this version does not
 * know (its type is new); or a frame that is broken or hostile.
 */
export type DecodedPeerFrame =
  | { kind: 'message'; message: PeerMessage }
  | { kind: 'unsupported'; version: number }
  | { kind: 'invalid' };

const INVALID: DecodedPeerFrame = { kind: 'invalid' };

export function encodePeerMessage(message: PeerMessage): string {
  return JSON.stringify({ v: PEER_PROTOCOL_VERSION, ...message });
}

export function decodePeerFrame(raw: unknown): DecodedPeerFrame {
  if (typeof raw !== 'string' || raw.length > MAX_PEER_FRAME_LENGTH) return INVALID;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return INVALID;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return INVALID;
  const { v: version = 1, ...frame } = value as { v?: unknown };
  if (!v.is(Version, version)) return INVALID;
  const newer = version > PEER_PROTOCOL_VERSION;
  if (newer && !KNOWN_TYPES.has((frame as { type?: unknown }).type)) return { kind: 'unsupported', version };
  const result = v.safeParse(newer ? NewerPeerMessage : ExactPeerMessage, frame);
  return result.success ? { kind: 'message', message: result.output as PeerMessage } : INVALID;
}

/** The message in a frame, or undefined for anything this version cannot use. */
export function decodePeerMessage(raw: unknown): PeerMessage | undefined {
  const decoded = decodePeerFrame(raw);
  return decoded.kind === 'message' ? decoded.message : undefined;
}

/**
 * Splits history entries into frames that each stay well under the data channel's size limit and
 * hold at most HISTORY_LIMIT entries (what a receiver accepts in one frame). Each frame carries
 * the keys of exactly the authors of its entries (`authorOf` finds an entry's author).
 */
export function encodeHistoryFrames(entries: readonly HistoryEntry[], authorOf: (entry: HistoryEntry) => HistoryAuthor): string[] {
  const frames: string[] = [];
  let batch: HistoryEntry[] = [];
  let authors = new Map<string, HistoryAuthor>();
  let length = 0;
  const flush = (): void => {
    frames.push(encodePeerMessage({ type: PeerMessageType.History, authors: [...authors.values()], messages: batch }));
    batch = [];
    authors = new Map();
    length = 0;
  };
  for (const entry of entries) {
    const author = authorOf(entry);
    const entryLength = JSON.stringify(entry).length + (authors.has(author.id) ? 0 : JSON.stringify(author).length);
    if (batch.length === HISTORY_LIMIT || (batch.length > 0 && length + entryLength > HISTORY_FRAME_TARGET_LENGTH)) flush();
    batch.push(entry);
    authors.set(author.id, author);
    length += entryLength + 1;
  }
  if (batch.length > 0) flush();
  return frames;
}
