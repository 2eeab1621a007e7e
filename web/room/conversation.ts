/**
 * The conversation: the message log, the hybrid clock that stamps messages, delivery receipts and
 * the per-peer outbox, what was done to messages since (edits, deletions, reactions: acts, kept by
 * MessageAmendments), and the history exchanged when a link has been proven. It reaches peers
 * only through a `send(peerId, frame)` port and knows nothing of connections or signaling.
 *
 * Every message is signed by its author (MessageAuthority): one that does not verify is dropped,
 * counted, and never acked; ours is ours only if it carries our own signature. Acts are signed the
 * same way, and an edit or a deletion counts only from the author of the message it changes.
 * Replies and file offers are messages (logged, acked, receipted); edits, deletions and reactions
 * reach peers live and again with the history of the messages they are about. History is taken
 * only right after a link is proven, at most HISTORY_LIMIT entries, and nothing dated more than
 * MAX_FUTURE_MS ahead of our clock is taken at all.
 */
import { Emitter } from '../shared/emitter.js';
import { systemClock, type Clock, type IntervalHandle } from '../shared/clock.js';
import { ChatLog, type LogEntry } from './chat-log.js';
import { MessageAmendments, type AmendmentAct, type AmendmentChange, type Reaction } from './message-amendments.js';
import { DeliveryTracker, type DeliverySummary } from './delivery-tracker.js';
import { HybridClock } from './hybrid-clock.js';
import type { MessageAuthority, SignedActFields, SignedFields } from './author-directory.js';
import { authorOf, messageId } from '../../protocol/ids.js';
import {
  ActKind,
  encodeHistoryFrames,
  encodePeerMessage,
  HISTORY_ACT_LIMIT,
  HISTORY_LIMIT,
  MAX_CHAT_TEXT_LENGTH,
  PeerMessageType,
  MAX_REACTION_LENGTH,
  REACTION_PATTERN,
  type Act,
  type FileOffer,
  type HistoryAct,
  type HistoryAuthor,
  type HistoryEntry,
  type PeerMessage,
} from '../../protocol/peer.js';

export type { Reaction, AmendmentChange } from './message-amendments.js';

export interface ChatMessage extends LogEntry {
  /** True for messages this participant wrote (in this tab, before or after a reload). */
  readonly own: boolean;
  /** The author's signature (base64url ECDSA P-256), once made; every received message has one. */
  readonly signature?: string;
  /** Set when it arrived in a peer's catch-up (written while this tab was away), not live. */
  readonly fromHistory?: true;
  /** For a reply: the id of the message it answers. */
  readonly replyTo?: string;
  /** For a file offered to the room: what its sender signed about it (`text` is empty). */
  readonly file?: FileOffer;
  /** Set once its author edited it: when, by the author's clock; `text` is the latest text. */
  readonly editedAt?: number;
  /** Set once its author deleted it: `text` is empty, and any file or quote is withdrawn. */
  readonly deleted?: true;
  /** Reactions and who made them; absent when there are none. */
  readonly reactions?: readonly Reaction[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The log's own record: the signature of one of ours arrives after it is logged, and acts change it later. */
type MessageRecord = Mutable<ChatMessage>;

/** Acts that are messages in the log of their own. */
type EntryAct = Extract<Act, { kind: 'reply' | 'file' }>;
const isEntryAct = (act: Act): act is EntryAct => act.kind === ActKind.Reply || act.kind === ActKind.File;

export class ChatSendError extends Error {
  override name = 'ChatSendError';
  constructor(
    /**
     * unknown-message: the message to reply to, edit, delete or react to is not in the log (or was
     * deleted); not-yours: only its author may edit or delete a message; not-editable: a file
     * cannot be edited; not-an-emoji: a reaction is one emoji.
     */
    readonly reason: 'empty' | 'too-long' | 'closed' | 'not-ready' | 'unknown-message' | 'not-yours' | 'not-editable' | 'not-an-emoji',
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
export type ConversationMessage = Extract<PeerMessage, { type: 'chat' | 'ack' | 'history' | 'act' }>;

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
  /** A message in the log was edited or deleted by its author, or its reactions changed. */
  updated: { message: ChatMessage; change: AmendmentChange };
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
  remainingActs: number;
  until: number;
}

export class Conversation extends Emitter<ConversationEvents> {
  readonly #selfId: string;
  readonly #nextSequence: () => number;
  readonly #peers: PeerPort;
  readonly #authority: MessageAuthority;
  readonly #clock: Clock;
  readonly #log: ChatLog<MessageRecord>;
  readonly #amendments: MessageAmendments;
  /** The act behind each reply and file offer in the log (what history passes on with its signature). */
  readonly #entryActs = new Map<string, EntryAct>();
  /** The signed text of each edited message (history passes on the original and the edit). */
  readonly #originalText = new Map<string, string>();
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
    this.#log = new ChatLog(maxMessages, (dropped) => {
      this.#amendments.forget(dropped.id);
      this.#entryActs.delete(dropped.id);
      this.#originalText.delete(dropped.id);
    });
    this.#amendments = new MessageAmendments(maxMessages * 2);
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
    checkText(text);
    return this.post(text, authorName, recipients);
  }

  /** Like send(), as an answer to the message `to` (which must be in the log). */
  reply(to: string, text: string, authorName: string, recipients: readonly string[]): ChatMessage {
    checkText(text);
    this.liveMessage(to);
    return this.post(text, authorName, recipients, { kind: ActKind.Reply, to, text });
  }

  /** Offers a file to the room: a message that carries the offer (its bytes go only on request). */
  shareFile(offer: Omit<FileOffer, 'kind'>, authorName: string, recipients: readonly string[]): ChatMessage {
    return this.post('', authorName, recipients, { kind: ActKind.File, ...offer });
  }

  /** Gives one of our messages a new text, for everyone. */
  async edit(id: string, text: string, authorName: string, recipients: readonly string[]): Promise<void> {
    checkText(text);
    const message = this.ownMessage(id);
    if (message.file) throw new ChatSendError('not-editable', 'A file cannot be edited; delete it and send another.');
    return this.amend(authorName, recipients, () => ({ kind: ActKind.Edit, to: id, text }));
  }

  /** Deletes one of our messages, for everyone: its text goes, a note that it was deleted stays. */
  async delete(id: string, authorName: string, recipients: readonly string[]): Promise<void> {
    this.ownMessage(id);
    return this.amend(authorName, recipients, () => ({ kind: ActKind.Delete, to: id }));
  }

  /** Turns our reaction `emoji` to a message on, or off if it was on; resolves with whether it is on now. */
  async react(id: string, emoji: string, authorName: string, recipients: readonly string[]): Promise<boolean> {
    if (emoji.length > MAX_REACTION_LENGTH || !REACTION_PATTERN.test(emoji)) throw new ChatSendError('not-an-emoji', 'A reaction is one emoji.');
    this.liveMessage(id);
    let on = false;
    await this.amend(authorName, recipients, () => {
      on = !this.#amendments.hasReacted(id, this.#selfId, emoji);
      return { kind: ActKind.React, to: id, emoji, on };
    });
    return on;
  }

  /** Whether this participant's reaction `emoji` to message `id` is on. */
  hasReacted(id: string, emoji: string): boolean {
    return this.#amendments.hasReacted(id, this.#selfId, emoji);
  }

  /** A message in the log, by id. */
  messageById(id: string): ChatMessage | undefined {
    return this.#log.get(id);
  }

  private liveMessage(id: string): MessageRecord {
    const message = this.#log.get(id);
    if (!message || message.deleted) throw new ChatSendError('unknown-message', 'That message is not in this chat (any more).');
    return message;
  }

  private ownMessage(id: string): MessageRecord {
    const message = this.liveMessage(id);
    if (!message.own) throw new ChatSendError('not-yours', 'Only its author can change or delete a message.');
    return message;
  }

  /** Logs a message of ours (plain, a reply or a file) and sends it, signed, in the order sent. */
  private post(text: string, authorName: string, recipients: readonly string[], act?: EntryAct): ChatMessage {
    const sentAt = this.#time.stamp();
    const id = messageId(this.#selfId, this.#nextSequence());
    const message: MessageRecord = { id, authorId: this.#selfId, authorName, text, sentAt, own: true, ...entryFields(act) };
    if (act) this.#entryActs.set(id, act);
    this.#log.add(message);
    this.#delivery.track(id, recipients, this.#clock.now());
    const signing = act ? this.#authority.signAct({ id, sentAt, name: authorName, act }) : this.#authority.sign({ id, text, sentAt, name: authorName });
    this.#signing.set(id, signing);
    this.#sending = Promise.all([signing, this.#sending]).then(([sig]) => {
      message.signature = sig;
      this.#signing.delete(id);
      if (this.#stopped) return;
      const frame = act
        ? encodePeerMessage({ type: PeerMessageType.Act, id, sentAt, name: authorName, sig, act })
        : encodePeerMessage({ type: PeerMessageType.Chat, id, text, sentAt, name: authorName, sig });
      for (const recipient of recipients) this.#peers.send(recipient, frame);
    });
    this.emit('message', message);
    return message;
  }

  /**
   * Signs and applies an act of ours about another message, then sends it. Acts run in order, after
   * the messages before them; `makeAct` runs at its turn (a reaction toggles what is on then).
   */
  private amend(authorName: string, recipients: readonly string[], makeAct: () => AmendmentAct['act']): Promise<void> {
    const run = this.#sending.then(async () => {
      if (this.#stopped) return;
      const act = makeAct();
      const fields: SignedActFields = { id: messageId(this.#selfId, this.#nextSequence()), sentAt: this.#time.stamp(), name: authorName, act };
      const sig = await this.#authority.signAct(fields);
      if (this.#stopped) return;
      this.takeAmendment({ ...fields, sig, act });
      const frame = encodePeerMessage({ type: PeerMessageType.Act, ...fields, sig, act });
      for (const recipient of recipients) this.#peers.send(recipient, frame);
    });
    this.#sending = run.catch(() => undefined);
    return run;
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
    this.#historyAllowance.set(peerId, { remaining: HISTORY_LIMIT, remainingActs: HISTORY_ACT_LIMIT, until: this.#clock.now() + HISTORY_WINDOW_MS });
    const outbox = new Set(this.#delivery.outboxFor(peerId));
    const owed = this.#log.entries.filter((entry) => outbox.has(entry.id)).slice(-HISTORY_LIMIT);
    const room = HISTORY_LIMIT - owed.length;
    const recent = room === 0 ? [] : this.#log.recent(HISTORY_LIMIT).filter((entry) => !outbox.has(entry.id)).slice(-room);
    const chosen = [...owed, ...recent];
    const entries: HistoryEntry[] = [];
    const entryActs: HistoryAct[] = [];
    const amendments: HistoryAct[] = [];
    const authors = new Map<string, HistoryAuthor>();
    const knowAuthorOf = (id: string): boolean => {
      const author = this.#authority.recordOf(authorOf(id));
      if (author) authors.set(author.id, author);
      return author !== undefined;
    };
    for (const message of chosen) {
      const sig = message.signature ?? (await this.#signing.get(message.id));
      if (!sig || !knowAuthorOf(message.id)) continue;
      amendments.push(...this.#amendments.actsAbout(message.id).filter((act) => knowAuthorOf(act.id)));
      // A deleted message's text is not passed on: only its deletion is.
      if (message.deleted) continue;
      const act = this.#entryActs.get(message.id);
      const signed = { id: message.id, sentAt: message.sentAt, name: message.authorName, sig };
      if (act) entryActs.push({ ...signed, act });
      else entries.push({ ...signed, text: this.#originalText.get(message.id) ?? message.text });
    }
    if (this.#stopped) return;
    const acts = [...entryActs, ...amendments].slice(0, HISTORY_ACT_LIMIT);
    for (const frame of encodeHistoryFrames(entries, acts, (id) => authors.get(authorOf(id))!)) this.#peers.send(peerId, frame);
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
      case PeerMessageType.Act: {
        const { type: _type, ...act } = message;
        const verdict = authorOf(act.id) === from ? await this.checkAct(act) : 'forged';
        if (verdict !== 'ok') return this.refuse(from, verdict);
        this.takeAct(act);
        if (isEntryAct(act.act)) this.#peers.send(from, encodePeerMessage({ type: PeerMessageType.Ack, ids: [act.id] }));
        return true;
      }
      case PeerMessageType.Ack:
        this.emitReceipts(this.#delivery.confirm(from, message.ids));
        return true;
      case PeerMessageType.History:
        return this.mergeHistory(from, message.authors, message.messages, message.acts ?? []);
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

  /**
   * Whether an act is its author's, not from the future, and, for an edit or a deletion, about a
   * message of the same author (nobody changes anyone else's words).
   */
  private async checkAct(act: HistoryAct): Promise<'ok' | RefusalReason> {
    const author = authorOf(act.id);
    if ((act.act.kind === ActKind.Edit || act.act.kind === ActKind.Delete) && authorOf(act.act.to) !== author) return 'forged';
    if (act.sentAt - this.#clock.now() > MAX_FUTURE_MS) return 'future';
    return (await this.#authority.verifyAct(author, act, act.sig)) ? 'ok' : 'forged';
  }

  /** Takes a checked act: a reply or a file enters the log, anything else amends a message. */
  private takeAct(act: HistoryAct, fromHistory = false): void {
    if (!isEntryAct(act.act)) {
      this.takeAmendment(act as AmendmentAct);
      return;
    }
    const author = authorOf(act.id);
    const text = act.act.kind === ActKind.Reply ? act.act.text : '';
    this.#time.observe(act.sentAt);
    if (this.#log.has(act.id)) return;
    this.#entryActs.set(act.id, act.act);
    const record: MessageRecord = { id: act.id, authorId: author, authorName: act.name, text, sentAt: act.sentAt, own: author === this.#selfId, signature: act.sig, ...entryFields(act.act) };
    if (fromHistory) record.fromHistory = true;
    if (!this.add(record)) this.#entryActs.delete(act.id);
  }

  private takeAmendment(act: AmendmentAct): void {
    this.#time.observe(act.sentAt);
    const change = this.#amendments.add(act);
    const message = this.#log.get(act.act.to);
    if (!change || !message) return;
    this.applyAmendments(message);
    if (!this.#stopped) this.emit('updated', { message, change });
  }

  /** Brings a logged message up to date with the acts about it. */
  private applyAmendments(message: MessageRecord): void {
    const state = this.#amendments.stateOf(message.id);
    if (!state) return;
    if (state.deleted) {
      message.deleted = true;
      message.text = '';
      delete message.file;
      delete message.replyTo;
      delete message.editedAt;
      this.#originalText.delete(message.id);
      this.#entryActs.delete(message.id);
    } else if (state.text !== undefined && !message.file) {
      // A reply's signed text is in its act; a plain message's is kept aside.
      if (!this.#entryActs.has(message.id) && !this.#originalText.has(message.id)) this.#originalText.set(message.id, message.text);
      message.text = state.text;
      message.editedAt = state.editedAt!;
    }
    if (state.reactions.length > 0) message.reactions = state.reactions;
    else delete message.reactions;
  }

  private refuse(from: string, reason: RefusalReason): false {
    this.emit('refused', { from, reason });
    return false;
  }

  private async mergeHistory(from: string, authors: readonly HistoryAuthor[], entries: readonly HistoryEntry[], acts: readonly HistoryAct[]): Promise<boolean> {
    const allowance = this.#historyAllowance.get(from);
    if (!allowance || this.#clock.now() > allowance.until || entries.length > allowance.remaining || acts.length > allowance.remainingActs) {
      this.#historyAllowance.delete(from);
      return this.refuse(from, 'unasked-history');
    }
    allowance.remaining -= entries.length;
    allowance.remainingActs -= acts.length;
    // Checked all at once (each check waits on WebCrypto), then taken in order.
    await Promise.all(authors.map((author) => this.#authority.learn(author)));
    const [verdicts, actVerdicts] = await Promise.all([
      Promise.all(entries.map((entry) => this.check(authorOf(entry.id), entry, entry.sig))),
      Promise.all(acts.map((act) => this.checkAct(act))),
    ]);
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
    for (const [index, act] of acts.entries()) {
      const verdict = actVerdicts[index]!;
      if (verdict !== 'ok') {
        refused = true;
        this.emit('refused', { from, reason: verdict });
        continue;
      }
      this.takeAct(act, true);
      if (!isEntryAct(act.act)) continue;
      const author = authorOf(act.id);
      if (author === this.#selfId) {
        ownIds.push(act.id);
        continue;
      }
      const ids = byAuthor.get(author) ?? [];
      ids.push(act.id);
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

  /** Logs a message with whatever acts about it arrived first; false if it was not taken. */
  private add(message: MessageRecord): boolean {
    if (this.#stopped) return false;
    this.applyAmendments(message);
    if (!this.#log.add(message)) return false;
    this.emit('message', message);
    return true;
  }
}

function checkText(text: string): void {
  if (text.trim() === '') throw new ChatSendError('empty', 'Type a message first.');
  if (text.length > MAX_CHAT_TEXT_LENGTH) {
    throw new ChatSendError(
      'too-long',
      `Messages are limited to ${MAX_CHAT_TEXT_LENGTH.toLocaleString('en')} characters; this one has ${text.length.toLocaleString('en')}.`,
    );
  }
}

/** What a reply or a file offer adds to its message in the log. */
function entryFields(act: EntryAct | undefined): Pick<MessageRecord, 'replyTo' | 'file'> {
  if (act?.kind === ActKind.Reply) return { replyTo: act.to };
  if (act?.kind === ActKind.File) return { file: act };
  return {};
}
