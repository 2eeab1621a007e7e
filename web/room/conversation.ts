/**
 * The conversation: the message log, the hybrid clock that stamps messages, delivery receipts and
 * the per-peer outbox, and the history exchanged when a link opens. It reaches peers only through
 * a `send(peerId, frame)` port and knows nothing of connections or signaling.
 */
import { Emitter } from '../shared/emitter.js';
import { systemClock, type Clock, type IntervalHandle } from '../shared/clock.js';
import { ChatLog, type LogEntry } from './chat-log.js';
import { DeliveryTracker, type DeliverySummary } from './delivery-tracker.js';
import { HybridClock } from './hybrid-clock.js';
import { authorOf, messageId } from '../../protocol/ids.js';
import {
  encodeHistoryFrames,
  encodePeerMessage,
  HISTORY_LIMIT,
  MAX_CHAT_TEXT_LENGTH,
  PeerMessageType,
  type HistoryEntry,
  type PeerMessage,
} from '../../protocol/peer.js';

export interface ChatMessage extends LogEntry {
  /** True for messages this participant wrote (in this tab, before or after a reload). */
  readonly own: boolean;
}

export class ChatSendError extends Error {
  override name = 'ChatSendError';
  constructor(
    readonly reason: 'empty' | 'too-long' | 'closed',
    message: string,
  ) {
    super(message);
  }
}

/** The conversation's only way to reach a peer: false when there is no open link to it. */
export interface PeerPort {
  send(peerId: string, frame: string): boolean;
}

/** The peer messages the conversation handles (`bye` is about membership, not the conversation). */
export type ConversationMessage = Exclude<PeerMessage, { type: typeof PeerMessageType.Bye }>;

export interface ConversationEvents {
  /** A message entered the log (sent here, or received live or through history). */
  message: ChatMessage;
  /** Receipts changed. */
  receipts: void;
}

export interface ConversationOptions {
  selfId: string;
  /** The next sequence number of this participant's messages (kept across reloads). */
  nextSequence: () => number;
  peers: PeerPort;
  /** Keep at most this many messages (oldest dropped first). */
  maxMessages: number;
  clock?: Clock;
}

/** How often receipts are checked against the outbox's time bounds. */
export const RECEIPT_SWEEP_INTERVAL_MS = 5000;

export class Conversation extends Emitter<ConversationEvents> {
  readonly #selfId: string;
  readonly #nextSequence: () => number;
  readonly #peers: PeerPort;
  readonly #clock: Clock;
  readonly #log: ChatLog<ChatMessage>;
  readonly #delivery = new DeliveryTracker();
  readonly #time: HybridClock;
  #sweepTimer: IntervalHandle | undefined;

  constructor({ selfId, nextSequence, peers, maxMessages, clock = systemClock }: ConversationOptions) {
    super();
    this.#selfId = selfId;
    this.#nextSequence = nextSequence;
    this.#peers = peers;
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

  /** Starts applying the outbox's time bounds. */
  start(): void {
    this.#sweepTimer ??= this.#clock.setInterval(() => {
      if (this.#delivery.sweep(this.#clock.now()).length > 0) this.emit('receipts', undefined);
    }, RECEIPT_SWEEP_INTERVAL_MS);
  }

  stop(): void {
    this.#clock.clearInterval(this.#sweepTimer);
    this.#sweepTimer = undefined;
    this.removeAllListeners();
  }

  /**
   * Adds a message of ours to the log and sends it to `recipients`; those not reachable right now
   * get it when their link opens again. Throws ChatSendError for an empty or over-long text.
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
    const message: ChatMessage = {
      id: messageId(this.#selfId, this.#nextSequence()),
      authorId: this.#selfId,
      authorName,
      text,
      sentAt,
      own: true,
    };
    this.#log.add(message);
    this.#delivery.track(message.id, recipients, this.#clock.now());
    const frame = encodePeerMessage({ type: PeerMessageType.Chat, id: message.id, text, sentAt, name: authorName });
    for (const id of recipients) this.#peers.send(id, frame);
    this.emit('message', message);
    return message;
  }

  /** `peerId` is a member (again): its receipts count. */
  peerPresent(peerId: string): void {
    this.#delivery.peerPresent(peerId);
  }

  /** `peerId` left the room: its receipts stop counting after a grace period. */
  peerLeft(peerId: string): void {
    this.#delivery.peerLeft(peerId, this.#clock.now());
  }

  /** A link to `peerId` opened: catch it up with our transcript and its outbox. */
  linkOpened(peerId: string): void {
    this.#delivery.peerPresent(peerId);
    const recent = this.#log.recent(HISTORY_LIMIT);
    const included = new Set(recent.map((entry) => entry.id));
    const older = this.#delivery
      .outboxFor(peerId)
      .filter((id) => !included.has(id))
      .map((id) => this.#log.entries.find((entry) => entry.id === id))
      .filter((entry): entry is ChatMessage => entry !== undefined);
    const entries: HistoryEntry[] = [...older, ...recent].map(({ id, text, sentAt, authorName }) => ({ id, text, sentAt, name: authorName }));
    for (const frame of encodeHistoryFrames(entries)) this.#peers.send(peerId, frame);
  }

  /**
   * A message from the peer `from`, who is a member, named `fromName` by the server. Returns false
   * for a message that tries to speak for someone else (it is dropped).
   */
  receive(from: string, fromName: string | undefined, message: ConversationMessage): boolean {
    switch (message.type) {
      case PeerMessageType.Chat: {
        // A live message is always the sender's own: it cannot speak for anyone else.
        if (authorOf(message.id) !== from) return false;
        this.addReceived(message.id, message.text, message.sentAt, fromName ?? message.name);
        // Ack duplicates too: the earlier ack may be what got lost.
        this.#peers.send(from, encodePeerMessage({ type: PeerMessageType.Ack, ids: [message.id] }));
        return true;
      }
      case PeerMessageType.Ack:
        if (this.#delivery.confirm(from, message.ids).length > 0) this.emit('receipts', undefined);
        return true;
      case PeerMessageType.History:
        this.mergeHistory(from, message.messages);
        return true;
      default: {
        const unhandled: never = message;
        throw new Error(`unhandled peer message ${JSON.stringify(unhandled)}`);
      }
    }
  }

  private mergeHistory(from: string, entries: readonly HistoryEntry[]): void {
    const ownIds: string[] = [];
    const byAuthor = new Map<string, string[]>();
    for (const entry of entries) {
      const author = authorOf(entry.id);
      if (author === this.#selfId) {
        ownIds.push(entry.id);
        if (!this.#log.has(entry.id)) this.addOwnFromHistory(entry);
        continue;
      }
      this.addReceived(entry.id, entry.text, entry.sentAt, entry.name);
      const ids = byAuthor.get(author) ?? [];
      ids.push(entry.id);
      byAuthor.set(author, ids);
    }
    // The sender has these of ours; and every author we can reach learns that we have theirs.
    if (ownIds.length > 0 && this.#delivery.confirm(from, ownIds).length > 0) this.emit('receipts', undefined);
    for (const [author, ids] of byAuthor) this.#peers.send(author, encodePeerMessage({ type: PeerMessageType.Ack, ids }));
  }

  private addReceived(id: string, text: string, sentAt: number, authorName: string): void {
    this.#time.observe(sentAt);
    this.add({ id, authorId: authorOf(id), authorName, text, sentAt, own: false });
  }

  /** Our own message from before a reload, returned by a peer. */
  private addOwnFromHistory(entry: HistoryEntry): void {
    this.#time.observe(entry.sentAt);
    this.add({ id: entry.id, authorId: this.#selfId, authorName: entry.name, text: entry.text, sentAt: entry.sentAt, own: true });
  }

  private add(message: ChatMessage): void {
    if (this.#log.add(message)) this.emit('message', message);
  }
}
