/**
 * ParleyRoom: one person's view of one chat room, without any UI. It joins the room through the
 * signaling server (reconnecting by itself), keeps a direct WebRTC connection to every other member
 * (full mesh, rebuilt when it breaks), and keeps the message log with delivery receipts. Chat text
 * only ever travels over the data channels.
 *
 * This file only wires the parts together: the signaling client and the peer mesh (transport/),
 * the participant registry, the link supervisor (who offers, healing) and the conversation (log,
 * clock, receipts, history).
 */
import { Emitter } from '../shared/emitter.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { Conversation, ChatSendError, type ChatMessage } from './conversation.js';
import { LinkSupervisor } from './link-supervisor.js';
import { ParticipantRegistry, type Participant } from './participants.js';
import { derivePeerId, deriveRoomId } from './room-key.js';
import { ephemeralIdentity, type SessionIdentity } from './session-identity.js';
import type { DeliverySummary } from './delivery-tracker.js';
import { PeerMesh } from '../transport/peer-mesh.js';
import type { PeerLinkFactory } from '../transport/peer-link.js';
import { createSimplePeerLink } from '../transport/simple-peer-link.js';
import { SignalingClient, type SignalingStateChange, type WebSocketConstructor } from '../transport/signaling-client.js';
import { warmUpWebRtc } from '../transport/webrtc-warm-up.js';
import { decodePeerFrame, encodePeerMessage, PeerMessageType } from '../../protocol/peer.js';
import {
  ClientMessageType,
  CloseCode,
  ErrorCode,
  normaliseDisplayName,
  PROTOCOL_VERSION,
  ServerMessageType,
  type ErrorMessage,
  type ServerMessage,
} from '../../protocol/signaling.js';

export { ChatSendError } from './conversation.js';
export type { ChatMessage } from './conversation.js';
export type { Participant, PeerConnectionState } from './participants.js';
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
  /** The WebRTC connections; simple-peer by default. */
  createLink?: PeerLinkFactory;
  clock?: Clock;
  /** For the jitter of reconnection attempts; [0, 1). */
  random?: () => number;
}

const DEFAULT_MAX_MESSAGES = 1000;

export class ParleyRoom extends Emitter<RoomEvents> {
  readonly roomId: string;
  /** This participant's peer id (the server derives the same one from the session secret). */
  readonly selfId: string;
  readonly #identity: SessionIdentity;
  readonly #signaling: SignalingClient;
  readonly #mesh: PeerMesh;
  readonly #participants = new ParticipantRegistry();
  readonly #links: LinkSupervisor;
  readonly #conversation: Conversation;
  #name: string;
  #status: RoomStatus = { phase: 'connecting' };
  #everJoined = false;
  /** The last error frame, kept to explain a close that follows it. */
  #lastError: ErrorMessage | undefined;
  #invalidPeerFrames = 0;
  #unsupportedPeerFrames = 0;

  constructor(options: ParleyRoomOptions) {
    super();
    const clock = options.clock ?? systemClock;
    this.roomId = deriveRoomId(options.roomKey);
    this.#identity = options.identity ?? ephemeralIdentity();
    this.selfId = derivePeerId(this.roomId, this.#identity.secret);
    this.#name = normaliseDisplayName(options.name) || 'Guest';
    this.#signaling = new SignalingClient(options.signalingUrl, options.WebSocketImpl);
    this.#mesh = new PeerMesh({ selfId: this.selfId, createLink: options.createLink ?? createSimplePeerLink, clock });
    this.#links = new LinkSupervisor({
      selfId: this.selfId,
      mesh: this.#mesh,
      participants: this.#participants,
      isJoined: () => this.#status.phase === 'joined',
      clock,
      ...(options.random ? { random: options.random } : {}),
    });
    this.#conversation = new Conversation({
      selfId: this.selfId,
      nextSequence: () => this.#identity.nextSequence(),
      peers: this.#mesh,
      maxMessages: options.maxMessages ?? DEFAULT_MAX_MESSAGES,
      clock,
    });

    this.#signaling.on('state', (change) => this.onSignalingState(change));
    this.#signaling.on('message', (message) => this.onServerMessage(message));
    this.#signaling.on('invalid', (why) => console.warn(`parley: ignored a signaling frame (${why})`));
    this.#mesh.on('signal', ({ to, data }) => this.#signaling.send({ type: ClientMessageType.Signal, to, data }));
    this.#mesh.on('state', ({ id, state }) => this.#links.onLinkState(id, state));
    this.#mesh.on('open', ({ id }) => this.#conversation.linkOpened(id));
    this.#mesh.on('data', ({ from, data }) => this.onPeerData(from, data));
    this.#mesh.on('closed', ({ id }) => this.#links.onLinkClosed(id));
    this.#participants.on('admitted', ({ participant, isNew }) => {
      this.#conversation.peerPresent(participant.id);
      if (isNew) this.emit('peer-joined', participant);
      this.emit('change', undefined);
    });
    this.#participants.on('removed', (participant) => {
      this.#conversation.peerLeft(participant.id);
      this.emit('peer-left', participant);
      this.emit('change', undefined);
    });
    this.#participants.on('changed', () => this.emit('change', undefined));
    this.#conversation.on('message', (message) => {
      this.emit('message', message);
      this.emit('change', undefined);
    });
    this.#conversation.on('receipts', () => this.emit('change', undefined));
  }

  /** Connects to the signaling server and joins the room. */
  start(): void {
    if (this.#status.phase === 'closed') return;
    this.#conversation.start();
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
    return this.#participants.list();
  }

  /** The log, in the order every peer agrees on, oldest first. */
  get messages(): readonly ChatMessage[] {
    return this.#conversation.messages;
  }

  /** Receipts for one of this participant's own messages. */
  deliveryOf(messageId: string): DeliverySummary | undefined {
    return this.#conversation.deliveryOf(messageId);
  }

  /** The display name of a participant, if known. */
  nameOf(peerId: string): string | undefined {
    return this.#participants.nameOf(peerId);
  }

  /** Data channel frames dropped because they were not valid peer messages. */
  get invalidPeerFrames(): number {
    return this.#invalidPeerFrames;
  }

  /** Data channel frames of a newer peer protocol that this version does not know (set aside). */
  get unsupportedPeerFrames(): number {
    return this.#unsupportedPeerFrames;
  }

  /**
   * Sends a chat message to everyone in the room and adds it to the log. Peers that are not
   * reachable right now get it when their connection opens again. Throws ChatSendError for an
   * empty or over-long message, or after close().
   */
  send(text: string): ChatMessage {
    if (this.#status.phase === 'closed') throw new ChatSendError('closed', 'This room has been left.');
    return this.#conversation.send(text, this.#name, this.#participants.ids());
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
    for (const id of this.#participants.ids()) this.#mesh.send(id, bye);
    this.#links.dispose();
    this.#conversation.stop();
    this.#mesh.destroy();
    this.#signaling.close();
    this.#participants.clear();
    this.setStatus({ phase: 'closed' });
    this.removeAllListeners();
  }

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
        this.#links.onSignalingLost();
        const status: RoomStatus = { phase: this.#everJoined ? 'reconnecting' : 'connecting' };
        if (change.retryAt !== undefined) status.retryAt = change.retryAt;
        if (change.code !== undefined) status.code = change.code;
        this.setStatus(status);
        return;
      }
      case 'closed': {
        this.#links.onSignalingLost();
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

  private onServerMessage(message: ServerMessage): void {
    switch (message.type) {
      case ServerMessageType.Welcome: {
        const firstWelcome = !this.#everJoined;
        this.#everJoined = true;
        this.#lastError = undefined;
        this.#mesh.setIceServers(message.iceServers);
        this.#links.onWelcome(message.members, firstWelcome && this.#identity.resumed);
        this.setStatus({ phase: 'joined' });
        return;
      }
      case ServerMessageType.PeerJoined:
        this.#links.onPeerJoined(message.peer);
        return;
      case ServerMessageType.PeerLeft:
        if (this.#participants.has(message.id)) this.#conversation.peerLeft(message.id);
        this.#links.onPeerLeft(message.id, message.reason);
        return;
      case ServerMessageType.PeerRenamed:
        this.#participants.rename(message.peer.id, message.peer.name);
        return;
      case ServerMessageType.Signal:
        this.#links.onSignal(message.from, message.data);
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

  private onPeerData(from: string, data: unknown): void {
    const decoded = decodePeerFrame(data);
    if (decoded.kind === 'unsupported') {
      this.#unsupportedPeerFrames += 1;
      return;
    }
    if (decoded.kind === 'invalid' || !this.#participants.has(from)) {
      this.#invalidPeerFrames += 1;
      return;
    }
    const { message } = decoded;
    if (message.type === PeerMessageType.Bye) {
      this.#links.dismiss(from);
      return;
    }
    if (!this.#conversation.receive(from, this.#participants.nameOf(from), message)) this.#invalidPeerFrames += 1;
  }

  private setStatus(status: RoomStatus): void {
    this.#status = status;
    this.emit('status', status);
    this.emit('change', undefined);
  }
}
