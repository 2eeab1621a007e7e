/**
 * The conversation: the message log, the hybrid clock that stamps messages, delivery receipts and
 * the per-peer outbox, and the history exchanged when a link has been proven. It reaches peers
 * only through a `send(peerId, frame)` port and knows nothing of connections or signaling.
 *
 * Every message is signed by its author (MessageAuthority): one that does not verify is dropped,
 * counted, and never acked; ours is ours only if it carries our own signature. History is taken
 * only right after a link is proven, at most HISTORY_LIMIT entries, and nothing dated more than
 * MAX_FUTURE_MS ahead of our clock is taken at all.
 */
import { Emitter } from '../shared/emitter.js';
import { systemClock, type Clock, type IntervalHandle } from '../shared/clock.js';
import { ChatLog, type LogEntry } from './chat-log.js';
import { DeliveryTracker, type DeliverySummary } from './delivery-tracker.js';
import { HybridClock } from './hybrid-clock.js';
import type { MessageAuthority, SignedFields } from './author-directory.js';
import { authorOf, messageId } from '../../protocol/ids.js';
import {
  encodeHistoryFrames,
  encodePeerMessage,
  HISTORY_LIMIT,
  MAX_CHAT_TEXT_LENGTH,
  PeerMessageType,
  type HistoryAuthor,
  type HistoryEntry,
  type PeerMessage,
} from '../../protocol/peer.js';

export interface ChatMessage extends LogEntry {
  /** True for messages this participant wrote (in this tab, before or after a reload). */
  readonly own: boolean;
  /** The author's signature (base64url ECDSA P-256), once made; every received message has one. */
  readonly signature?: string;
  /** Set when it arrived in a peer's catch-up (written while this tab was away), not live. */
  readonly fromHistory?: true;
}

/** The log's own record: the signature of one of our messages arrives after it is logged. */
interface MessageRecord extends ChatMessage {
  signature?: string;
}

export class ChatSendError extends Error {
  override name = 'ChatSendError';
  constructor(
    readonly reason: 'empty' | 'too-long' | 'closed' | 'not-ready',
    message: string,
  ) {
    super(message);
  }
}

/** The conversation's only way to reach a peer: false when there is no proven link to it. */
export interface PeerPort {
  send(peerId: string, frame: string): boolean;
}

/** The peer messages the conversation handles (the others are about membership and links). */
export type ConversationMessage = Extract<PeerMessage, { type: 'chat' | 'ack' | 'history' }>;

/** Why a frame or an entry was refused. */
export type RefusalReason =
  /** The signature is not its author's, or it claims an author it cannot (someone else, or us). */
  | 'forged'
  /** Dated more than MAX_FUTURE_MS ahead of our clock. */
  | 'future'
  /** History outside the window right after a link is proven, or beyond HISTORY_LIMIT entries. */
  | 'unasked-history';

export interface ConversationEvents {
  /** A message entered the log (sent here, or received live or through history). */
  message: ChatMessage;
  /** The receipts of these messages of ours changed (delivered to someone more, or given up on). */
  receipts: string[];
  /** A message or history entry from `from` was refused. */
  refused: { from: string; reason: RefusalReason };
}

export interface ConversationOptions {
  selfId: string;
  /** The next sequence number of this participant's messages (kept across reloads). */
  nextSequence: () => number;
  peers: PeerPort;
  /** Signs our messages and checks everyone's. */
  authority: MessageAuthority;
  /** Keep at most this many messages (oldest dropped first). */
  maxMessages: number;
  clock?: Clock;
}

/** How often receipts are checked against the outbox's time bounds. */
export const RECEIPT_SWEEP_INTERVAL_MS = 5000;
/** Messages dated further ahead of our clock than this are refused (a wrong or hostile clock). */
export const MAX_FUTURE_MS = 5 * 60 * 1000;
/** History is taken from a peer for this long after its link is proven, and no later. */
export const HISTORY_WINDOW_MS = 30_000;

/** What a peer may still send of its history on its current link. */
interface HistoryAllowance {
  remaining: number;
  until: number;
}

export class Conversation extends Emitter<ConversationEvents> {
  readonly #selfId: string;
  readonly #nextSequence: () => number;
  readonly #peers: PeerPort;
  readonly #authority: MessageAuthority;
  readonly #clock: Clock;
  readonly #log: ChatLog<MessageRecord>;
  readonly #delivery = new DeliveryTracker();
  readonly #time: HybridClock;
  /** Signatures of our messages still being made, by message id. */
  readonly #signing = new Map<string, Promise<string>>();
  readonly #historyAllowance = new Map<string, HistoryAllowance>();
  /** Our messages leave in the order they were sent, whichever signature is ready first. */
  #sending: Promise<unknown> = Promise.resolve();
  #sweepTimer: IntervalHandle | undefined;
  #stopped = false;

  constructor({ selfId, nextSequence, peers, authority, maxMessages, clock = systemClock }: ConversationOptions) {
    super();
    this.#selfId = selfId;
    this.#nextSequence = nextSequence;
    this.#peers = peers;
    this.#authority = authority;
    this.#clock = clock;
    this.#log = new ChatLog(maxMessages);
    this.#time = new HybridClock(() => clock.now());
  }

  /** The log, in the order every peer agrees on, oldest first. */
  get messages(): readonly ChatMessage[] {
    return this.#log.entries;
  }

  /** Receipts for one of this participant's own messages. */
  deliveryOf(id: string): DeliverySummary | undefined {
    return this.#delivery.summary(id);
  }

  private emitReceipts(changed: string[]): void {
    if (changed.length > 0) this.emit('receipts', changed);
  }

  /** Starts applying the outbox's time bounds. */
  start(): void {
    this.#sweepTimer ??= this.#clock.setInterval(() => {
      this.emitReceipts(this.#delivery.sweep(this.#clock.now()));
    }, RECEIPT_SWEEP_INTERVAL_MS);
  }

  stop(): void {
    this.#stopped = true;
    this.#clock.clearInterval(this.#sweepTimer);
    this.#sweepTimer = undefined;
    this.removeAllListeners();
  }

  /**
   * Adds a message of ours to the log and sends it, signed, to `recipients`; those not reachable
   * right now get it when their link is proven again. Throws ChatSendError for an empty or
   * over-long text.
   */
  send(text: string, authorName: string, recipients: readonly string[]): ChatMessage {
    if (text.trim() === '') throw new ChatSendError('empty', 'Type a message first.');
    if (text.length > MAX_CHAT_TEXT_LENGTH) {
      throw new ChatSendError(
        'too-long',
        `Messages are limited to ${MAX_CHAT_TEXT_LENGTH.toLocaleString('en')} characters; this one has ${text.length.toLocaleString('en')}.`,
      );
    }
    const sentAt = this.#time.stamp();
    const message: MessageRecord = { id: messageId(this.#selfId, this.#nextSequence()), authorId: this.#selfId, authorName, text, sentAt, own: true };
    this.#log.add(message);
    this.#delivery.track(message.id, recipients, this.#clock.now());
    const signing = this.#authority.sign({ id: message.id, text, sentAt, name: authorName });
    this.#signing.set(message.id, signing);
    this.#sending = Promise.all([signing, this.#sending]).then(([sig]) => {
      message.signature = sig;
      this.#signing.delete(message.id);
      if (this.#stopped) return;
      const frame = encodePeerMessage({ type: PeerMessageType.Chat, id: message.id, text, sentAt, name: authorName, sig });
      for (const id of recipients) this.#peers.send(id, frame);
    });
    this.emit('message', message);
    return message;
  }

  /** `peerId` is a member (again): its receipts count. */
  peerPresent(peerId: string): void {
    this.#delivery.peerPresent(peerId);
  }

  /** `peerId` left the room: its receipts stop counting after a grace period. */
  peerLeft(peerId: string): void {
    this.#historyAllowance.delete(peerId);
    this.#delivery.peerLeft(peerId, this.#clock.now());
  }

  /**
   * A link to `peerId` was proven: catch it up with our transcript and its outbox (at most
   * HISTORY_LIMIT entries, its outbox first), and take its history for a short while.
   */
  async linkProven(peerId: string): Promise<void> {
    this.#delivery.peerPresent(peerId);
    this.#historyAllowance.set(peerId, { remaining: HISTORY_LIMIT, until: this.#clock.now() + HISTORY_WINDOW_MS });
    const outbox = new Set(this.#delivery.outboxFor(peerId));
    const owed = this.#log.entries.filter((entry) => outbox.has(entry.id)).slice(-HISTORY_LIMIT);
    const room = HISTORY_LIMIT - owed.length;
    const recent = room === 0 ? [] : this.#log.recent(HISTORY_LIMIT).filter((entry) => !outbox.has(entry.id)).slice(-room);
    const chosen = [...owed, ...recent];
    const entries: HistoryEntry[] = [];
    const authors = new Map<string, HistoryAuthor>();
    for (const message of chosen) {
      const sig = message.signature ?? (await this.#signing.get(message.id));
      const author = this.#authority.recordOf(message.authorId);
      if (!sig || !author) continue;
      authors.set(author.id, author);
      entries.push({ id: message.id, text: message.text, sentAt: message.sentAt, name: message.authorName, sig });
    }
    if (this.#stopped) return;
    for (const frame of encodeHistoryFrames(entries, (entry) => authors.get(authorOf(entry.id))!)) this.#peers.send(peerId, frame);
  }

  /**
   * A message from the peer `from`, whose link is proven. Resolves false when the frame was
   * refused (the `refused` event says why).
   */
  async receive(from: string, message: ConversationMessage): Promise<boolean> {
    switch (message.type) {
      case PeerMessageType.Chat: {
        // A live message is always the sender's own, signed by it.
        const verdict = authorOf(message.id) === from ? await this.check(from, message, message.sig) : 'forged';
        if (verdict !== 'ok') return this.refuse(from, verdict);
        this.addReceived(message, message.sig);
        // Ack duplicates too: the earlier ack may be what got lost.
        this.#peers.send(from, encodePeerMessage({ type: PeerMessageType.Ack, ids: [message.id] }));
        return true;
      }
      case PeerMessageType.Ack:
        this.emitReceipts(this.#delivery.confirm(from, message.ids));
        return true;
      case PeerMessageType.History:
        return this.mergeHistory(from, message.authors, message.messages);
      default: {
        const unhandled: never = message;
        throw new Error(`unhandled peer message ${JSON.stringify(unhandled)}`);
      }
    }
  }

  /** Whether a message is its author's and not from the future. */
  private async check(authorId: string, fields: SignedFields, signature: string): Promise<'ok' | RefusalReason> {
    if (fields.sentAt - this.#clock.now() > MAX_FUTURE_MS) return 'future';
    return (await this.#authority.verify(authorId, fields, signature)) ? 'ok' : 'forged';
  }

  private refuse(from: string, reason: RefusalReason): false {
    this.emit('refused', { from, reason });
    return false;
  }

  private async mergeHistory(from: string, authors: readonly HistoryAuthor[], entries: readonly HistoryEntry[]): Promise<boolean> {
    const allowance = this.#historyAllowance.get(from);
    if (!allowance || this.#clock.now() > allowance.until || entries.length > allowance.remaining) {
      this.#historyAllowance.delete(from);
      return this.refuse(from, 'unasked-history');
    }
    allowance.remaining -= entries.length;
    // Checked all at once (each check waits on WebCrypto), then taken in order.
    await Promise.all(authors.map((author) => this.#authority.learn(author)));
    const verdicts = await Promise.all(entries.map((entry) => this.check(authorOf(entry.id), entry, entry.sig)));
    const ownIds: string[] = [];
    const byAuthor = new Map<string, string[]>();
    let refused = false;
    for (const [index, entry] of entries.entries()) {
      const author = authorOf(entry.id);
      const verdict = verdicts[index]!;
      if (verdict !== 'ok') {
        refused = true;
        this.emit('refused', { from, reason: verdict });
        continue;
      }
      if (author === this.#selfId) {
        // Signed with our own key: one of ours from before a reload.
        ownIds.push(entry.id);
        if (!this.#log.has(entry.id)) this.addOwnFromHistory(entry);
        continue;
      }
      this.addReceived(entry, entry.sig, true);
      const ids = byAuthor.get(author) ?? [];
      ids.push(entry.id);
      byAuthor.set(author, ids);
    }
    // The sender has these of ours; and every author we can reach learns that we have theirs.
    if (ownIds.length > 0) this.emitReceipts(this.#delivery.confirm(from, ownIds));
    for (const [author, ids] of byAuthor) this.#peers.send(author, encodePeerMessage({ type: PeerMessageType.Ack, ids }));
    return !refused;
  }

  private addReceived({ id, text, sentAt, name }: SignedFields, signature: string, fromHistory = false): void {
    this.#time.observe(sentAt);
    this.add({ id, authorId: authorOf(id), authorName: name, text, sentAt, own: false, signature, ...(fromHistory ? { fromHistory: true as const } : {}) });
  }

  /** Our own message from before a reload, returned by a peer. */
  private addOwnFromHistory(entry: HistoryEntry): void {
    this.#time.observe(entry.sentAt);
    this.add({ id: entry.id, authorId: this.#selfId, authorName: entry.name, text: entry.text, sentAt: entry.sentAt, own: true, signature: entry.sig, fromHistory: true });
  }

  private add(message: MessageRecord): void {
    if (this.#stopped) return;
    if (this.#log.add(message)) this.emit('message', message);
  }
}
