/**
 * What peers say to each other over a data channel; the signaling server never sees these frames.
 * Defined once as valibot schemas (small in the bundle), with the types inferred from them.
 * Everything that arrives is untrusted: decodePeerMessage checks size and schema and returns
 * undefined for anything else, so a bad frame is dropped (and counted), never thrown into the UI.
 *
 * - chat:    a new message from the sender (its author is the channel's peer, never a field)
 * - ack:     "I have these messages of yours" (delivery receipts, peer to peer)
 * - history: part of the sender's recent transcript, sent when a connection opens, so late
 *            joiners, reloads and reconnects catch up; merged by id on arrival
 * - bye:     the sender is leaving the room (closing the tab, or leaving the chat)
 */
import * as v from 'valibot';
import { MAX_NAME_LENGTH } from '../signaling/protocol.js';

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

/** `<author peer id>:<sequence>`: unique per author, ordered per author. */
const MessageId = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{22}:[1-9][0-9]{0,15}$/));
const Text = v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_CHAT_TEXT_LENGTH));
const Timestamp = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(8.64e15));
const Name = v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_NAME_LENGTH * 2));

const ChatFrameSchema = v.strictObject({
  type: v.literal(PeerMessageType.Chat),
  id: MessageId,
  text: Text,
  /** The author's clock, ms since the epoch. */
  sentAt: Timestamp,
  /** The author's display name when sending. */
  name: Name,
});

const AckFrameSchema = v.strictObject({
  type: v.literal(PeerMessageType.Ack),
  ids: v.pipe(v.array(MessageId), v.minLength(1), v.maxLength(MAX_ACK_IDS)),
});

const HistoryEntrySchema = v.strictObject({
  id: MessageId,
  text: Text,
  sentAt: Timestamp,
  name: Name,
});

const HistoryFrameSchema = v.strictObject({
  type: v.literal(PeerMessageType.History),
  messages: v.pipe(v.array(HistoryEntrySchema), v.maxLength(HISTORY_LIMIT)),
});

const ByeFrameSchema = v.strictObject({ type: v.literal(PeerMessageType.Bye) });

const PeerMessageSchema = v.variant('type', [ChatFrameSchema, AckFrameSchema, HistoryFrameSchema, ByeFrameSchema]);

export type HistoryEntry = v.InferOutput<typeof HistoryEntrySchema>;
export type PeerMessage = v.InferOutput<typeof PeerMessageSchema>;

export function encodePeerMessage(message: PeerMessage): string {
  return JSON.stringify(message);
}

export function decodePeerMessage(raw: unknown): PeerMessage | undefined {
  if (typeof raw !== 'string' || raw.length > MAX_PEER_FRAME_LENGTH) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const result = v.safeParse(PeerMessageSchema, value);
  return result.success ? result.output : undefined;
}

/** The author peer id inside a message id. */
export function authorOf(messageId: string): string {
  return messageId.slice(0, messageId.indexOf(':'));
}

/** The per-author sequence number inside a message id. */
export function sequenceOf(messageId: string): number {
  return Number(messageId.slice(messageId.indexOf(':') + 1));
}

/** Splits history entries into frames that each stay well under the data channel's size limit. */
export function encodeHistoryFrames(entries: readonly HistoryEntry[]): string[] {
  const frames: string[] = [];
  let batch: HistoryEntry[] = [];
  let length = 0;
  for (const entry of entries) {
    const entryLength = JSON.stringify(entry).length;
    if (batch.length > 0 && length + entryLength > HISTORY_FRAME_TARGET_LENGTH) {
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
