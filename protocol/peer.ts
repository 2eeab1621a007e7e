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
 * - act:     something the sender did, signed by it like a message: a reply, a file offer (both
 *            are messages in the log), an edit or a deletion of one of its own messages, a
 *            reaction to anyone's (version 4)
 * - typing:  the sender is typing, or stopped (not signed: it only ever speaks for the channel's
 *            own peer, and nothing is kept of it)
 * - file-get / file-ack / file-cancel: a receiver asks for a file's bytes from an offset, confirms
 *            what it has written, or either side stops; the bytes themselves come as binary
 *            frames (encodeFileChunk), each for one stream the receiver numbered in its file-get
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
 * 4: act, typing and the file frames; history frames carry `acts`. A version 3 peer sets the new
 *    frames aside and drops `acts` from history: it sees plain messages only.
 */
export const PEER_PROTOCOL_VERSION = 4;

export const PeerMessageType = {
  Prove: 'prove',
  Profile: 'profile',
  Chat: 'chat',
  Ack: 'ack',
  History: 'history',
  Bye: 'bye',
  Ping: 'ping',
  Pong: 'pong',
  Act: 'act',
  Typing: 'typing',
  FileGet: 'file-get',
  FileAck: 'file-ack',
  FileCancel: 'file-cancel',
} as const;

/** What an act does (the `kind` of its `act` field). */
export const ActKind = {
  Reply: 'reply',
  File: 'file',
  Edit: 'edit',
  Delete: 'delete',
  React: 'react',
} as const;

/** Why a file transfer stopped, as the side that stopped it says. */
export const FileStopReason = {
  /** Someone pressed cancel. */
  Cancelled: 'cancelled',
  /** The sender no longer has the file (its page was reloaded) or cannot read it. */
  Unavailable: 'unavailable',
  /** The receiver's copy did not match the offer's digest. */
  Corrupt: 'corrupt',
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

/** Most acts a transcript exchange carries (edits, deletions and reactions of the messages in it). */
export const HISTORY_ACT_LIMIT = 400;

/** Longest file name in an offer, in UTF-16 code units. */
export const MAX_FILE_NAME_LENGTH = 255;
/** Largest file that can be offered: 64 GiB (a sanity bound, not a promise). */
export const MAX_FILE_SIZE = 64 * 1024 ** 3;
/** Longest base64 thumbnail in an offer (about 36 KiB of JPEG or WebP). */
export const MAX_THUMBNAIL_LENGTH = 48 * 1024;
/** Widest and tallest thumbnail, in pixels. */
export const MAX_THUMBNAIL_SIZE = 320;
/** File bytes per binary chunk frame (about 64 KiB, well under any browser's message limit). */
export const FILE_CHUNK_BYTES = 64 * 1024;
/** Longest emoji a reaction may carry, in UTF-16 code units (a flag or a family fits). */
export const MAX_REACTION_LENGTH = 32;

/**
 * One emoji: pictographs, flags, skin tones, keycaps and the joiners between them, nothing else,
 * so a reaction cannot be a word or a sentence.
 */
export const REACTION_PATTERN = /^(?:[\p{Extended_Pictographic}\p{Regional_Indicator}\p{Emoji_Modifier}\u200d\ufe0f\u20e3\u{E0020}-\u{E007F}]|[0-9#*](?=\ufe0f?\u20e3))+$/u;

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
const ByteCount = v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(MAX_FILE_SIZE));
/** A transfer's number, chosen by the receiver, unique on its link. */
const StreamNumber = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(0xffff_ffff));
const FileName = v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_FILE_NAME_LENGTH));
/** A media type as browsers report them (`type/subtype`, parameters allowed); empty when unknown. */
const MediaType = v.pipe(v.string(), v.maxLength(127), v.regex(/^(?:[\w.+-]+\/[\w.+-]+(?:;[^\n]*)?)?$/));
const Base64 = v.pipe(v.string(), v.minLength(4), v.maxLength(MAX_THUMBNAIL_LENGTH), v.regex(/^[A-Za-z0-9+/]+={0,2}$/));
const Pixels = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_THUMBNAIL_SIZE));
const Reaction = v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_REACTION_LENGTH), v.regex(REACTION_PATTERN));

/**
 * The frames' schemas, built twice from the same fields: exact (`strictObject`) for frames of this
 * version or older, and tolerant of added fields (`object`, which drops them) for newer ones.
 */
function peerMessageSchema(exact: boolean) {
  // Typed as the strict one: both infer the same output (`object` drops the fields it does not know).
  const frame = (exact ? v.strictObject : v.object) as typeof v.strictObject;
  const historyEntry = frame({ id: MessageId, text: Text, sentAt: Timestamp, name: Name, sig: Signature });
  const author = frame({ id: PeerId, key: PublicKey, commit: Digest });
  const act = v.variant('kind', [
    /** A message that answers `to` (the reply shows a quote of it). */
    frame({ kind: v.literal(ActKind.Reply), to: MessageId, text: Text }),
    /**
     * A file offered to the room: its name, size, media type and digest (protocol/file-digest.ts),
     * and for an image a small preview the sender made. The bytes come only on request, over the
     * author's own connection.
     */
    frame({
      kind: v.literal(ActKind.File),
      name: FileName,
      size: ByteCount,
      mime: MediaType,
      digest: Digest,
      thumb: v.optional(frame({ mime: v.picklist(['image/jpeg', 'image/webp', 'image/png']), data: Base64, width: Pixels, height: Pixels })),
    }),
    /** The new text of one of the author's own messages. */
    frame({ kind: v.literal(ActKind.Edit), to: MessageId, text: Text }),
    /** One of the author's own messages is withdrawn. */
    frame({ kind: v.literal(ActKind.Delete), to: MessageId }),
    /** The author's reaction `emoji` to anyone's message, set (`on`) or taken back. */
    frame({ kind: v.literal(ActKind.React), to: MessageId, emoji: Reaction, on: v.boolean() }),
  ]);
  const signedAct = frame({ id: MessageId, sentAt: Timestamp, name: Name, sig: Signature, act });
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
      /** Version 4: the acts that go with those messages, each signed by its author. */
      acts: v.optional(v.pipe(v.array(signedAct), v.maxLength(HISTORY_ACT_LIMIT))),
    }),
    frame({ type: v.literal(PeerMessageType.Bye) }),
    frame({ type: v.literal(PeerMessageType.Ping) }),
    frame({ type: v.literal(PeerMessageType.Pong) }),
    /** `id`, `sentAt` and `name` as for a chat message; `sig` covers them and the act. */
    frame({ type: v.literal(PeerMessageType.Act), id: MessageId, sentAt: Timestamp, name: Name, sig: Signature, act }),
    frame({ type: v.literal(PeerMessageType.Typing), active: v.boolean() }),
    /** "Send me the bytes of your file `file` from `from` on, numbered `stream`." */
    frame({ type: v.literal(PeerMessageType.FileGet), file: MessageId, stream: StreamNumber, from: ByteCount }),
    /** "I have written everything of `stream` before `offset`." */
    frame({ type: v.literal(PeerMessageType.FileAck), stream: StreamNumber, offset: ByteCount }),
    /** The receiver stops `stream`, or (without one) the sender stops sending `file` to this peer. */
    frame({ type: v.literal(PeerMessageType.FileCancel), file: MessageId, stream: v.optional(StreamNumber), reason: v.picklist(Object.values(FileStopReason)) }),
  ]);
}

const ExactPeerMessage = peerMessageSchema(true);
const NewerPeerMessage = peerMessageSchema(false);
const KNOWN_TYPES = new Set<unknown>(Object.values(PeerMessageType));

export type PeerMessage = v.InferOutput<typeof ExactPeerMessage>;
export type HistoryEntry = Extract<PeerMessage, { type: 'history' }>['messages'][number];
export type HistoryAuthor = Extract<PeerMessage, { type: 'history' }>['authors'][number];
export type ActFrame = Extract<PeerMessage, { type: 'act' }>;
/** What an act does: one of the `ActKind` variants. */
export type Act = ActFrame['act'];
/** A signed act as history carries it (an act frame without its type). */
export type HistoryAct = Omit<ActFrame, 'type'>;
export type FileOffer = Extract<Act, { kind: 'file' }>;
export type FileStopReason = (typeof FileStopReason)[keyof typeof FileStopReason];

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
 * Splits history entries and acts into frames that each stay well under the data channel's size
 * limit and hold at most HISTORY_LIMIT entries and HISTORY_ACT_LIMIT acts (what a receiver accepts
 * in one frame). Each frame carries the keys of exactly the authors of what it holds (`authorOf`
 * finds the author of an id). Acts go after the entries, so an act usually arrives with or after
 * the message it is about.
 */
export function encodeHistoryFrames(
  entries: readonly HistoryEntry[],
  acts: readonly HistoryAct[],
  authorOf: (id: string) => HistoryAuthor,
): string[] {
  const frames: string[] = [];
  let messages: HistoryEntry[] = [];
  let actBatch: HistoryAct[] = [];
  let authors = new Map<string, HistoryAuthor>();
  let length = 0;
  const flush = (): void => {
    const frame: PeerMessage = { type: PeerMessageType.History, authors: [...authors.values()], messages };
    if (actBatch.length > 0) frame.acts = actBatch;
    frames.push(encodePeerMessage(frame));
    messages = [];
    actBatch = [];
    authors = new Map();
    length = 0;
  };
  const add = (item: HistoryEntry | HistoryAct, isAct: boolean): void => {
    const author = authorOf(item.id);
    const itemLength = JSON.stringify(item).length + (authors.has(author.id) ? 0 : JSON.stringify(author).length);
    const full = isAct ? actBatch.length === HISTORY_ACT_LIMIT : messages.length === HISTORY_LIMIT;
    if (full || (messages.length + actBatch.length > 0 && length + itemLength > HISTORY_FRAME_TARGET_LENGTH)) flush();
    if (isAct) actBatch.push(item as HistoryAct);
    else messages.push(item as HistoryEntry);
    authors.set(author.id, author);
    length += itemLength + 1;
  };
  for (const entry of entries) add(entry, false);
  for (const act of acts) add(act, true);
  if (messages.length + actBatch.length > 0) flush();
  return frames;
}

// ---- file bytes ------------------------------------------------------------------------------

/**
 * A chunk of a file travels as a binary frame: a mark byte, the receiver's stream number (uint32)
 * and the offset of the bytes in the file (float64, exact for any size up to 2^53), big-endian,
 * then the bytes. Text frames are JSON; a binary frame is never anything but a chunk.
 */
export const FILE_CHUNK_HEADER_BYTES = 13;
const FILE_CHUNK_MARK = 0x46;

export interface FileChunk {
  stream: number;
  offset: number;
  bytes: Uint8Array;
}

/**
 * The binary frame of a chunk. With `into` (at least FILE_CHUNK_HEADER_BYTES + bytes.byteLength
 * long) the frame is written there and a view of it returned: a sender that sends (and so copies)
 * each frame before the next reuses one buffer instead of allocating one per chunk.
 */
export function encodeFileChunk(stream: number, offset: number, bytes: Uint8Array, into?: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const length = FILE_CHUNK_HEADER_BYTES + bytes.byteLength;
  if (into && into.byteLength < length) throw new RangeError(`a chunk frame of ${length} bytes does not fit in ${into.byteLength}`);
  const frame = into ? into.subarray(0, length) : new Uint8Array(length);
  const view = new DataView(frame.buffer, frame.byteOffset, length);
  view.setUint8(0, FILE_CHUNK_MARK);
  view.setUint32(1, stream);
  view.setFloat64(5, offset);
  frame.set(bytes, FILE_CHUNK_HEADER_BYTES);
  return frame;
}

/** The chunk in a binary frame, or undefined for one that is not a well-formed chunk. */
export function decodeFileChunk(data: ArrayBuffer | ArrayBufferView): FileChunk | undefined {
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.byteLength <= FILE_CHUNK_HEADER_BYTES || bytes.byteLength > FILE_CHUNK_HEADER_BYTES + FILE_CHUNK_BYTES) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stream = view.getUint32(1);
  const offset = view.getFloat64(5);
  if (view.getUint8(0) !== FILE_CHUNK_MARK || stream === 0 || !Number.isSafeInteger(offset) || offset < 0 || offset > MAX_FILE_SIZE) return undefined;
  return { stream, offset, bytes: bytes.subarray(FILE_CHUNK_HEADER_BYTES) };
}
