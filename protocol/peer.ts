/**
 * What peers say to each other over a data channel; the signaling server never sees these frames.
 * Defined once as valibot schemas (small in the bundle), with the types inferred from them.
 * Everything that arrives is untrusted: decodePeerFrame checks size, version and schema, so a bad
 * frame is dropped (and counted), never thrown into the UI.
 *
 * - chat:    a new message from the sender (its author is the channel's peer, never a field)
 * - ack:     "I have these messages of yours" (delivery receipts, peer to peer)
 * - history: part of the sender's recent transcript, sent when a connection opens, so late
 *            joiners, reloads and reconnects catch up; merged by id on arrival
 * - bye:     the sender is leaving the room (closing the tab, or leaving the chat)
 *
 * The version rule (docs/peer-protocol.md): every frame carries `v`, the sender's version (absent:
 * 1, the pages from before the field). A frame of this version or an older one must match its
 * schema exactly. A newer version may only add: new fields, which are ignored here, and new frame
 * types, which are set aside as unsupported (counted apart from invalid frames), so an older peer
 * keeps working with a newer one instead of silently dropping everything it sends.
 */
import * as v from 'valibot';
import { MAX_NAME_LENGTH } from './signaling.js';
import { MESSAGE_ID_PATTERN } from './ids.js';

/** This build's peer protocol version: bumped when frames gain fields or new types appear. */
export const PEER_PROTOCOL_VERSION = 1;

export const PeerMessageType = {
  Chat: 'chat',
  Ack: 'ack',
  History: 'history',
  Bye: 'bye',
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

/**
 * The frames' schemas, built twice from the same fields: exact (`strictObject`) for frames of this
 * version or older, and tolerant of added fields (`object`, which drops them) for newer ones.
 */
function peerMessageSchema(exact: boolean) {
  // Typed as the strict one: both infer the same output (`object` drops the fields it does not know).
  const frame = (exact ? v.strictObject : v.object) as typeof v.strictObject;
  const historyEntry = frame({ id: MessageId, text: Text, sentAt: Timestamp, name: Name });
  return v.variant('type', [
    frame({
      type: v.literal(PeerMessageType.Chat),
      id: MessageId,
      text: Text,
      /** The author's clock, ms since the epoch. */
      sentAt: Timestamp,
      /** The author's display name when sending. */
      name: Name,
    }),
    frame({ type: v.literal(PeerMessageType.Ack), ids: v.pipe(v.array(MessageId), v.minLength(1), v.maxLength(MAX_ACK_IDS)) }),
    frame({ type: v.literal(PeerMessageType.History), messages: v.pipe(v.array(historyEntry), v.maxLength(HISTORY_LIMIT)) }),
    frame({ type: v.literal(PeerMessageType.Bye) }),
  ]);
}

const ExactPeerMessage = peerMessageSchema(true);
const NewerPeerMessage = peerMessageSchema(false);
const KNOWN_TYPES = new Set<unknown>(Object.values(PeerMessageType));

export type PeerMessage = v.InferOutput<typeof ExactPeerMessage>;
export type HistoryEntry = Extract<PeerMessage, { type: 'history' }>['messages'][number];

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
 * hold at most HISTORY_LIMIT entries (what a receiver accepts in one frame).
 */
export function encodeHistoryFrames(entries: readonly HistoryEntry[]): string[] {
  const frames: string[] = [];
  let batch: HistoryEntry[] = [];
  let length = 0;
  for (const entry of entries) {
    const entryLength = JSON.stringify(entry).length;
    if (batch.length === HISTORY_LIMIT || (batch.length > 0 && length + entryLength > HISTORY_FRAME_TARGET_LENGTH)) {
      frames.push(encodePeerMessage({ type: PeerMessageType.History, messages: batch }));
      batch = [];
      length = 0;
    }
    batch.push(entry);
    length += entryLength + 1;
  }
  if (batch.length > 0) frames.push(encodePeerMessage({ type: PeerMessageType.History, messages: batch }));
  return frames;
}
