/**
 * ParleyRoom: one person's view of one chat room, without any UI. It joins the room through the
 * signaling server (reconnecting by itself), keeps a direct WebRTC connection to every other member
 * (full mesh, rebuilt when it breaks), and keeps the message log with delivery receipts. Chat text
 * only ever travels over the data channels.
 */
import { Emitter } from './emitter.js';
import { ChatLog, type LogEntry } from './chat-log.js';
import { DeliveryTracker, type DeliverySummary } from './delivery-tracker.js';
import {
  decodePeerMessage,
  encodeHistoryFrames,
  encodePeerMessage,
  HISTORY_LIMIT,
  MAX_CHAT_TEXT_LENGTH,
  PeerMessageType,
  type HistoryEntry,
  type PeerMessage,
} from '../protocol/peer.js';
import { authorOf } from '../protocol/ids.js';
import { derivePeerId, deriveRoomId } from './room-key.js';
import { ephemeralIdentity, type SessionIdentity } from './session-identity.js';
import { PeerMesh, type LinkState } from './transport/peer-mesh.js';
import { SignalingClient, type SignalingStateChange, type WebSocketConstructor } from './transport/signaling-client.js';
import { warmUpWebRtc } from './transport/webrtc-warm-up.js';
import {
  ClientMessageType,
  CloseCode,
  ErrorCode,
  LeaveReason,
  normaliseDisplayName,
  PROTOCOL_VERSION,
  ServerMessageType,
  type ErrorMessage,
  type Member,
  type ServerMessage,
} from '../protocol/signaling.js';

/** 'reconnecting': the direct connection broke and is being rebuilt; 'failed': rebuilding gave up. */
export type PeerConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'failed';

export interface Participant {
  /** The peer id: the same for this person's tab across reloads and reconnects. */
  readonly id: string;
  readonly name: string;
  readonly state: PeerConnectionState;
}

export interface ChatMessage extends LogEntry {
  /** True for messages this participant wrote (in this tab, before or after a reload). */
  readonly own: boolean;
}

export type { DeliverySummary } from './delivery-tracker.js';

/**
 * - connecting: opening the signaling connection or waiting for `welcome` (first time)
 * - joined: in the room; new peers can find us
 * - reconnecting: the signaling connection is gone and being retried; direct connections keep working
 * - rejected: the server refused us for good (room full, incompatible version, opened elsewhere)
 * - closed: close() was called
 */
export type RoomPhase = 'connecting' | 'joined' | 'reconnecting' | 'rejected' | 'closed';

export interface RoomStatus {
  phase: RoomPhase;
  /** For 'rejected' and 'reconnecting': the server's error code or the close code, when known. */
  code?: ErrorCode | number;
  /** The server's human-readable explanation, when it gave one. */
  detail?: string;
  /** For 'reconnecting': when the next attempt starts (Date.now() clock), if one is scheduled. */
  retryAt?: number;
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

export interface RoomEvents {
  /** Anything visible changed (participants, messages, receipts, status, name). */
  change: void;
  /** A message entered the log (sent here, or received live or through history). */
  message: ChatMessage;
  'peer-joined': Participant;
  'peer-left': Participant;
  status: RoomStatus;
}

export interface ParleyRoomOptions {
  /** The secret room key from the link; only its derived id is sent to the server. */
  roomKey: string;
  name: string;
  /** ws:// or wss:// URL of the signaling endpoint. */
  signalingUrl: string;
  /** Who this tab is; defaults to a fresh identity (a new participant). */
  identity?: SessionIdentity;
  /** Keep at most this many messages in memory (oldest dropped first). */
  maxMessages?: number;
  WebSocketImpl?: WebSocketConstructor;
}

interface ParticipantRecord {
  readonly id: string;
  name: string;
  state: PeerConnectionState;
  /** The server lists it as a member right now (false while our signaling is down). */
  inRoom: boolean;
  healAttempts: number;
  /** An offer of ours waiting to be made: a heal attempt, or the fallback for an offer that did not come. */
  offerTimer?: ReturnType<typeof setTimeout>;
  /** Running while the server says it left but its direct link still works. */
  leftTimer?: ReturnType<typeof setTimeout>;
}

/** What others see of a participant: a copy, never the record the room keeps its timers in. */
function toParticipant({ id, name, state }: ParticipantRecord): Participant {
  return Object.freeze({ id, name, state });
}

const DEFAULT_MAX_MESSAGES = 1000;
/** Timestamps further ahead of our clock than this do not move our clock (a wrong or hostile peer). */
const MAX_CLOCK_LEAD_MS = 5 * 60 * 1000;
const SWEEP_INTERVAL_MS = 5000;
/** Rebuilding a broken direct connection gives up after this many attempts in a row. */
const MAX_HEAL_ATTEMPTS = 6;
/**
 * A member the server says has left, but whose direct link still works, is kept this long: its
 * signaling may just be reconnecting. If it has not rejoined by then, it is gone.
 */
const LEFT_WITH_LINK_GRACE_MS = 8000;
/**
 * Members offer to a newcomer. If a member the welcome listed has not offered by then (its page
 * predates this rule, or its offer was lost), the newcomer makes the offer itself.
 */
export const OFFER_FALLBACK_MS = 2000;

export class ParleyRoom extends Emitter<RoomEvents> {
  readonly roomId: string;
  /** This participant's peer id (the server derives the same one from the session secret). */
  readonly selfId: string;
  readonly #identity: SessionIdentity;
  readonly #signaling: SignalingClient;
  readonly #mesh: PeerMesh;
  readonly #participants = new Map<string, ParticipantRecord>();
  readonly #log: ChatLog<ChatMessage>;
  readonly #delivery = new DeliveryTracker();
  #name: string;
  #status: RoomStatus = { phase: 'connecting' };
  #everJoined = false;
  /** The last error frame, kept to explain a close that follows it. */
  #lastError: ErrorMessage | undefined;
  #invalidPeerFrames = 0;
  /**
   * The latest message time seen or sent. A new message is stamped later than it, so a reply
   * always sorts after what it answers, even within a millisecond or across skewed clocks.
   */
  #clock = 0;
  #sweepTimer: ReturnType<typeof setInterval> | undefined;

  constructor(options: ParleyRoomOptions) {
    super();
    this.roomId = deriveRoomId(options.roomKey);
    this.#identity = options.identity ?? ephemeralIdentity();
    this.selfId = derivePeerId(this.roomId, this.#identity.secret);
    this.#name = normaliseDisplayName(options.name) || 'Guest';
    this.#log = new ChatLog(options.maxMessages ?? DEFAULT_MAX_MESSAGES);
    this.#signaling = new SignalingClient(options.signalingUrl, options.WebSocketImpl);
    this.#mesh = new PeerMesh(() => this.selfId);
    this.#signaling.on('state', (change) => this.onSignalingState(change));
    this.#signaling.on('message', (message) => this.onServerMessage(message));
    this.#signaling.on('invalid', (why) => console.warn(`parley: ignored a signaling frame (${why})`));
    this.#mesh.on('signal', ({ to, data }) => this.#signaling.send({ type: ClientMessageType.Signal, to, data }));
    this.#mesh.on('state', ({ id, state }) => this.onLinkState(id, state));
    this.#mesh.on('open', ({ id }) => this.onLinkOpen(id));
    this.#mesh.on('data', ({ from, data }) => this.onPeerData(from, data));
    this.#mesh.on('closed', ({ id }) => this.onLinkClosed(id));
  }

  /** Connects to the signaling server and joins the room. */
  start(): void {
    if (this.#status.phase === 'closed') return;
    this.#sweepTimer ??= setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.#signaling.connect();
  }

  get name(): string {
    return this.#name;
  }

  get status(): RoomStatus {
    return this.#status;
  }

  /** The other members, in the order they were seen. */
  get participants(): readonly Participant[] {
    return [...this.#participants.values()].map(toParticipant);
  }

  /** The log, in the order every peer agrees on, oldest first. */
  get messages(): readonly ChatMessage[] {
    return this.#log.entries;
  }

  /** Receipts for one of this participant's own messages. */
  deliveryOf(messageId: string): DeliverySummary | undefined {
    return this.#delivery.summary(messageId);
  }

  /** The display name of a participant, if known. */
  nameOf(peerId: string): string | undefined {
    return this.#participants.get(peerId)?.name;
  }

  /** Data channel frames dropped because they were not valid peer messages. */
  get invalidPeerFrames(): number {
    return this.#invalidPeerFrames;
  }

  /**
   * Sends a chat message to everyone in the room and adds it to the log. Peers that are not
   * reachable right now get it when their connection opens again. Throws ChatSendError for an
   * empty or over-long message, or after close().
   */
  send(text: string): ChatMessage {
    if (this.#status.phase === 'closed') throw new ChatSendError('closed', 'This room has been left.');
    if (text.trim() === '') throw new ChatSendError('empty', 'Type a message first.');
    if (text.length > MAX_CHAT_TEXT_LENGTH) {
      throw new ChatSendError(
        'too-long',
        `Messages are limited to ${MAX_CHAT_TEXT_LENGTH.toLocaleString('en')} characters; this one has ${text.length.toLocaleString('en')}.`,
      );
    }
    const sentAt = Math.max(Date.now(), this.#clock + 1);
    this.#clock = sentAt;
    const message: ChatMessage = {
      id: `${this.selfId}:${this.#identity.nextSequence()}`,
      authorId: this.selfId,
      authorName: this.#name,
      text,
      sentAt,
      own: true,
    };
    this.#log.add(message);
    this.#delivery.track(message.id, this.#participants.keys(), Date.now());
    const frame = encodePeerMessage({ type: PeerMessageType.Chat, id: message.id, text, sentAt, name: this.#name });
    for (const id of this.#participants.keys()) this.#mesh.send(id, frame);
    this.emit('message', message);
    this.emit('change', undefined);
    return message;
  }

  /** Changes this participant's display name and tells the room. */
  setName(name: string): void {
    const normalised = normaliseDisplayName(name);
    if (!normalised || normalised === this.#name) return;
    this.#name = normalised;
    if (this.#status.phase === 'joined') this.#signaling.send({ type: ClientMessageType.Rename, name: normalised });
    this.emit('change', undefined);
  }

  /** Leaves the room: closes every peer connection and the signaling connection. */
  close(): void {
    if (this.#status.phase === 'closed') return;
    this.#signaling.send({ type: ClientMessageType.Leave });
    // Tell peers directly too: the others see us go at once even without a signaling server.
    const bye = encodePeerMessage({ type: PeerMessageType.Bye });
    for (const record of this.#participants.values()) {
      this.#mesh.send(record.id, bye);
      clearTimeout(record.offerTimer);
      clearTimeout(record.leftTimer);
    }
    clearInterval(this.#sweepTimer);
    this.#mesh.destroy();
    this.#signaling.close();
    this.#participants.clear();
    this.setStatus({ phase: 'closed' });
    this.removeAllListeners();
  }

  // ---- signaling ------------------------------------------------------------------------------

  private onSignalingState(change: SignalingStateChange): void {
    if (this.#status.phase === 'closed') return;
    switch (change.state) {
      case 'connecting':
        this.setStatus({ phase: this.#everJoined ? 'reconnecting' : 'connecting' });
        return;
      case 'open':
        this.#signaling.send({
          type: ClientMessageType.Join,
          v: PROTOCOL_VERSION,
          room: this.roomId,
          name: this.#name,
          session: this.#identity.secret,
        });
        // While the join makes its round trip; a no-op once done (index.html's script may have).
        warmUpWebRtc();
        return;
      case 'waiting': {
        this.forgetServerMembership();
        const status: RoomStatus = { phase: this.#everJoined ? 'reconnecting' : 'connecting' };
        if (change.retryAt !== undefined) status.retryAt = change.retryAt;
        if (change.code !== undefined) status.code = change.code;
        this.setStatus(status);
        return;
      }
      case 'closed': {
        this.forgetServerMembership();
        const status: RoomStatus = { phase: 'rejected' };
        const code = this.#lastError?.code ?? change.code;
        if (code !== undefined) status.code = code;
        const detail =
          change.code === CloseCode.Replaced
            ? 'This chat was opened again in another tab or window, so it stopped here.'
            : (this.#lastError?.message ?? change.reason);
        if (detail) status.detail = detail;
        this.setStatus(status);
        return;
      }
    }
  }

  /**
   * Signaling is down: membership is now known only through working direct connections. Those
   * stay; members we had no working connection with are dropped (they reappear on rejoin).
   */
  private forgetServerMembership(): void {
    for (const record of [...this.#participants.values()]) {
      record.inRoom = false;
      if (!this.#mesh.isConnected(record.id)) this.removeParticipant(record.id);
    }
  }

  private onServerMessage(message: ServerMessage): void {
    switch (message.type) {
      case ServerMessageType.Welcome: {
        const firstWelcome = !this.#everJoined;
        this.#everJoined = true;
        this.#lastError = undefined;
        this.#mesh.setIceServers(message.iceServers);
        const listed = new Set(message.members.map((member) => member.id));
        for (const record of [...this.#participants.values()]) {
          if (!listed.has(record.id) && !this.#mesh.isConnected(record.id)) this.removeParticipant(record.id);
        }
        for (const member of message.members) {
          const record = this.upsertParticipant(member);
          // The members make the offers (see PeerJoined): their pages are loaded and idle while
          // ours is still starting, so their offers are ready sooner. Peers we still have a link
          // with (after a signaling reconnect, direct connections usually survive) need none.
          // A reloaded tab offers at once: a member that has not yet noticed its previous page
          // is gone still holds a link to it, and so makes no offer.
          if (this.#mesh.stateOf(member.id) !== undefined) continue;
          if (firstWelcome && this.#identity.resumed) this.#mesh.connect(member.id);
          else this.offerIfNotOffered(record);
        }
        this.setStatus({ phase: 'joined' });
        return;
      }
      case ServerMessageType.PeerJoined: {
        const record = this.upsertParticipant(message.peer);
        if (this.#mesh.isConnected(record.id)) return;
        if (this.#mesh.stateOf(record.id) === undefined) {
          clearTimeout(record.offerTimer);
          this.#mesh.connect(record.id);
        }
        if (record.state !== 'connecting') this.setParticipantState(record, 'connecting');
        return;
      }
      case ServerMessageType.PeerLeft: {
        const record = this.#participants.get(message.id);
        if (!record) return;
        record.inRoom = false;
        this.#delivery.peerLeft(record.id, Date.now());
        // It said it is leaving, so its end of the direct connection is closing too, even if
        // that has not shown here yet.
        if (message.reason === LeaveReason.Left) this.#mesh.remove(record.id);
        if (!this.#mesh.isConnected(record.id)) {
          this.removeParticipant(record.id);
          return;
        }
        // Its direct link still works: it may only be reconnecting to the server.
        clearTimeout(record.leftTimer);
        record.leftTimer = setTimeout(() => {
          if (this.#participants.get(record.id) === record && !record.inRoom) this.removeParticipant(record.id);
        }, LEFT_WITH_LINK_GRACE_MS);
        return;
      }
      case ServerMessageType.PeerRenamed: {
        const record = this.#participants.get(message.peer.id);
        if (record) {
          record.name = message.peer.name;
          this.emit('change', undefined);
        }
        return;
      }
      case ServerMessageType.Signal:
        this.#mesh.handleSignal(message.from, message.data, this.#participants.get(message.from)?.inRoom === true);
        return;
      case ServerMessageType.Error:
        this.#lastError = message;
        console.warn(`parley: signaling server error ${message.code}: ${message.message}`);
        return;
      default: {
        const unhandled: never = message;
        console.warn('parley: unhandled signaling message', unhandled);
      }
    }
  }

  // ---- direct connections ---------------------------------------------------------------------

  private onLinkState(id: string, state: LinkState): void {
    const record = this.#participants.get(id);
    if (!record) return;
    if (state === 'connected') {
      record.healAttempts = 0;
      clearTimeout(record.offerTimer);
      this.setParticipantState(record, 'connected');
    } else if (state === 'unstable') {
      this.setParticipantState(record, 'reconnecting');
    } else if (record.state !== 'reconnecting') {
      this.setParticipantState(record, 'connecting');
    }
  }

  /** A data channel opened: catch the peer up with our transcript and its outbox. */
  private onLinkOpen(id: string): void {
    this.#delivery.peerPresent(id);
    const recent = this.#log.recent(HISTORY_LIMIT);
    const included = new Set(recent.map((entry) => entry.id));
    const older = this.#delivery
      .outboxFor(id)
      .filter((messageId) => !included.has(messageId))
      .map((messageId) => this.#log.entries.find((entry) => entry.id === messageId))
      .filter((entry): entry is ChatMessage => entry !== undefined);
    const entries: HistoryEntry[] = [...older, ...recent].map(({ id: messageId, text, sentAt, authorName }) => ({
      id: messageId,
      text,
      sentAt,
      name: authorName,
    }));
    for (const frame of encodeHistoryFrames(entries)) this.#mesh.send(id, frame);
  }

  private onLinkClosed(id: string): void {
    const record = this.#participants.get(id);
    if (!record) return;
    if (this.#status.phase !== 'joined' || !record.inRoom) {
      // Without signaling, or after the server said it left, a closed link means it is gone.
      this.removeParticipant(id);
      return;
    }
    this.setParticipantState(record, 'reconnecting');
    this.scheduleHeal(record);
  }

  /** A delayed offer still makes sense: the member is the same one, still in the room, and so are we. */
  private mayOfferTo(record: ParticipantRecord): boolean {
    return this.#participants.get(record.id) === record && record.inRoom && this.#status.phase === 'joined';
  }

  /** Offers to a member the welcome listed, unless its own offer arrives first. */
  private offerIfNotOffered(record: ParticipantRecord): void {
    clearTimeout(record.offerTimer);
    record.offerTimer = setTimeout(() => {
      if (!this.mayOfferTo(record)) return;
      if (this.#mesh.stateOf(record.id) === undefined) this.#mesh.connect(record.id);
    }, OFFER_FALLBACK_MS);
  }

  /**
   * Rebuilds a broken connection through signaling. The side with the smaller id offers first;
   * the other offers too after a longer wait, in case only it noticed the break (a collision is
   * settled by the mesh). Gives up after MAX_HEAL_ATTEMPTS.
   */
  private scheduleHeal(record: ParticipantRecord): void {
    clearTimeout(record.offerTimer);
    record.healAttempts += 1;
    if (record.healAttempts > MAX_HEAL_ATTEMPTS) {
      this.setParticipantState(record, 'failed');
      return;
    }
    const first = this.selfId < record.id;
    const delayMs = (first ? 200 : 2500) * record.healAttempts + Math.random() * 200;
    record.offerTimer = setTimeout(() => {
      if (!this.mayOfferTo(record)) return;
      if (this.#mesh.isConnected(record.id)) return;
      if (this.#mesh.stateOf(record.id) === 'connecting' && !first) return; // their offer is being answered
      this.#mesh.connect(record.id);
    }, delayMs);
  }

  // ---- peer messages --------------------------------------------------------------------------

  private onPeerData(from: string, data: unknown): void {
    const message = decodePeerMessage(data);
    if (!message || !this.#participants.has(from)) {
      this.#invalidPeerFrames += 1;
      return;
    }
    this.handlePeerMessage(from, message);
  }

  private handlePeerMessage(from: string, message: PeerMessage): void {
    switch (message.type) {
      case PeerMessageType.Chat: {
        // A live message is always the sender's own: it cannot speak for anyone else.
        if (authorOf(message.id) !== from) {
          this.#invalidPeerFrames += 1;
          return;
        }
        this.addReceived(message.id, message.text, message.sentAt, this.nameOf(from) ?? message.name);
        // Ack duplicates too: the earlier ack may be what got lost.
        this.#mesh.send(from, encodePeerMessage({ type: PeerMessageType.Ack, ids: [message.id] }));
        return;
      }
      case PeerMessageType.Ack: {
        if (this.#delivery.confirm(from, message.ids).length > 0) this.emit('change', undefined);
        return;
      }
      case PeerMessageType.Bye:
        this.removeParticipant(from);
        return;
      case PeerMessageType.History: {
        const ownIds: string[] = [];
        const byAuthor = new Map<string, string[]>();
        for (const entry of message.messages) {
          const author = authorOf(entry.id);
          if (author === this.selfId) {
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
        if (ownIds.length > 0 && this.#delivery.confirm(from, ownIds).length > 0) this.emit('change', undefined);
        for (const [author, ids] of byAuthor) {
          if (this.#mesh.isConnected(author)) this.#mesh.send(author, encodePeerMessage({ type: PeerMessageType.Ack, ids }));
        }
        return;
      }
      default: {
        const unhandled: never = message;
        console.warn('parley: unhandled peer message', unhandled);
      }
    }
  }

  private observeTime(sentAt: number): void {
    if (sentAt > this.#clock && sentAt - Date.now() < MAX_CLOCK_LEAD_MS) this.#clock = sentAt;
  }

  private addReceived(id: string, text: string, sentAt: number, authorName: string): void {
    this.observeTime(sentAt);
    const message: ChatMessage = { id, authorId: authorOf(id), authorName, text, sentAt, own: false };
    if (!this.#log.add(message)) return;
    this.emit('message', message);
    this.emit('change', undefined);
  }

  /** Our own message from before a reload, returned by a peer. */
  private addOwnFromHistory(entry: HistoryEntry): void {
    const message: ChatMessage = { id: entry.id, authorId: this.selfId, authorName: entry.name, text: entry.text, sentAt: entry.sentAt, own: true };
    this.observeTime(entry.sentAt);
    if (!this.#log.add(message)) return;
    this.emit('message', message);
    this.emit('change', undefined);
  }

  // ---- participants ---------------------------------------------------------------------------

  private upsertParticipant(member: Member): ParticipantRecord {
    const existing = this.#participants.get(member.id);
    if (existing) {
      existing.inRoom = true;
      clearTimeout(existing.leftTimer);
      existing.name = member.name;
      this.#delivery.peerPresent(member.id);
      this.emit('change', undefined);
      return existing;
    }
    const record: ParticipantRecord = {
      id: member.id,
      name: member.name,
      state: this.#mesh.isConnected(member.id) ? 'connected' : 'connecting',
      inRoom: true,
      healAttempts: 0,
    };
    this.#participants.set(member.id, record);
    this.#delivery.peerPresent(member.id);
    this.emit('peer-joined', toParticipant(record));
    this.emit('change', undefined);
    return record;
  }

  private setParticipantState(record: ParticipantRecord, state: PeerConnectionState): void {
    if (record.state === state) return;
    record.state = state;
    this.emit('change', undefined);
  }

  private removeParticipant(id: string): void {
    const record = this.#participants.get(id);
    this.#mesh.remove(id);
    if (!record) return;
    clearTimeout(record.offerTimer);
    clearTimeout(record.leftTimer);
    this.#participants.delete(id);
    this.#delivery.peerLeft(id, Date.now());
    this.emit('peer-left', toParticipant(record));
    this.emit('change', undefined);
  }

  private sweep(): void {
    if (this.#delivery.sweep(Date.now()).length > 0) this.emit('change', undefined);
  }

  private setStatus(status: RoomStatus): void {
    this.#status = status;
    this.emit('status', status);
    this.emit('change', undefined);
  }
}
