/**
 * ParleyRoom: one person's view of one chat room, without any UI. It joins the room through the
 * signaling server, keeps a direct WebRTC connection to every other member (full mesh), and keeps
 * the message log. Chat text only ever travels over the data channels.
 */
import { Emitter } from './emitter.js';
import { decodePeerMessage, encodePeerMessage, MAX_CHAT_TEXT_LENGTH, PeerMessageType } from './peer-protocol.js';
import { deriveRoomId } from './room-key.js';
import { PeerMesh, type PeerConnectionState } from './transport/peer-mesh.js';
import { SignalingClient, type SignalingStateChange, type WebSocketConstructor } from './transport/signaling-client.js';
import {
  ClientMessageType,
  CloseCode,
  ErrorCode,
  normaliseDisplayName,
  PROTOCOL_VERSION,
  ServerMessageType,
  type ErrorMessage,
  type Member,
  type ServerMessage,
} from '../signaling/protocol.js';

export type { PeerConnectionState } from './transport/peer-mesh.js';

export interface Participant {
  /** The server-assigned id, stable for this visit. */
  readonly id: string;
  name: string;
  state: PeerConnectionState;
}

export interface ChatMessage {
  readonly id: string;
  readonly authorId: string;
  readonly authorName: string;
  readonly text: string;
  /** The author's clock, ms since the epoch. */
  readonly sentAt: number;
  /** True for messages this participant wrote. */
  readonly own: boolean;
  /** For own messages: how many peers it was handed to when sent. */
  readonly sentToCount?: number;
}

/**
 * - connecting: opening the signaling connection or waiting for `welcome`
 * - joined: in the room; new peers can find us
 * - offline: the signaling connection is gone; existing direct connections keep working
 * - rejected: the server refused us (room full, incompatible version); retrying will not help
 * - closed: close() was called
 */
export type RoomPhase = 'connecting' | 'joined' | 'offline' | 'rejected' | 'closed';

export interface RoomStatus {
  phase: RoomPhase;
  /** For 'rejected' and 'offline': the server's error code or the close code, when known. */
  code?: ErrorCode | number;
  /** The server's human-readable explanation, when it gave one. */
  detail?: string;
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
  /** Anything visible changed (participants, messages, status, name). */
  change: void;
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
  /** Keep at most this many messages in memory (oldest dropped first). */
  maxMessages?: number;
  WebSocketImpl?: WebSocketConstructor;
}

const DEFAULT_MAX_MESSAGES = 1000;

function randomInstanceId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(9));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

export class ParleyRoom extends Emitter<RoomEvents> {
  readonly roomId: string;
  readonly #signaling: SignalingClient;
  readonly #mesh = new PeerMesh();
  readonly #participants = new Map<string, Participant>();
  readonly #messages: ChatMessage[] = [];
  readonly #seenMessageIds = new Set<string>();
  readonly #maxMessages: number;
  /** Prefix of this tab's message ids; unique per room instance. */
  readonly #instanceId = randomInstanceId();
  #sequence = 0;
  #selfId: string | undefined;
  #name: string;
  #status: RoomStatus = { phase: 'connecting' };
  /** The last error frame, kept to explain a close that follows it. */
  #lastError: ErrorMessage | undefined;
  #invalidPeerFrames = 0;

  constructor(options: ParleyRoomOptions) {
    super();
    this.roomId = deriveRoomId(options.roomKey);
    this.#name = normaliseDisplayName(options.name) || 'Guest';
    this.#maxMessages = options.maxMessages ?? DEFAULT_MAX_MESSAGES;
    this.#signaling = new SignalingClient(options.signalingUrl, options.WebSocketImpl);
    this.#signaling.on('state', (change) => this.onSignalingState(change));
    this.#signaling.on('message', (message) => this.onServerMessage(message));
    this.#signaling.on('invalid', (why) => console.warn(`parley: ignored a signaling frame (${why})`));
    this.#mesh.on('signal', ({ to, data }) => this.#signaling.send({ type: ClientMessageType.Signal, to, data }));
    this.#mesh.on('state', ({ id, state }) => this.onPeerState(id, state));
    this.#mesh.on('data', ({ from, data }) => this.onPeerData(from, data));
    this.#mesh.on('closed', ({ id }) => this.onPeerClosed(id));
  }

  /** Connects to the signaling server and joins the room. */
  start(): void {
    if (this.#status.phase === 'closed') return;
    this.#signaling.connect();
  }

  get selfId(): string | undefined {
    return this.#selfId;
  }

  get name(): string {
    return this.#name;
  }

  get status(): RoomStatus {
    return this.#status;
  }

  /** The other members, in the order they were seen. */
  get participants(): readonly Participant[] {
    return [...this.#participants.values()];
  }

  get messages(): readonly ChatMessage[] {
    return this.#messages;
  }

  /** Data channel frames dropped because they were not valid peer messages. */
  get invalidPeerFrames(): number {
    return this.#invalidPeerFrames;
  }

  /**
   * Sends a chat message to everyone connected and adds it to the log. Throws ChatSendError for
   * an empty or over-long message, or after close().
   */
  send(text: string): ChatMessage {
    if (this.#status.phase === 'closed') throw new ChatSendError('closed', 'This room has been left.');
    if (text.trim() === '') throw new ChatSendError('empty', 'Type a message first.');
    if (text.length > MAX_CHAT_TEXT_LENGTH) {
      throw new ChatSendError('too-long', `Messages are limited to ${MAX_CHAT_TEXT_LENGTH.toLocaleString('en')} characters; this one has ${text.length.toLocaleString('en')}.`);
    }
    this.#sequence += 1;
    const frame = { type: PeerMessageType.Chat, id: `${this.#instanceId}:${this.#sequence}`, text, sentAt: Date.now() } as const;
    const sentTo = this.#mesh.broadcast(encodePeerMessage(frame));
    const message: ChatMessage = {
      id: frame.id,
      authorId: this.#selfId ?? this.#instanceId,
      authorName: this.#name,
      text,
      sentAt: frame.sentAt,
      own: true,
      sentToCount: sentTo.length,
    };
    this.addMessage(message);
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
        this.setStatus({ phase: 'connecting' });
        return;
      case 'open':
        this.#signaling.send({ type: ClientMessageType.Join, v: PROTOCOL_VERSION, room: this.roomId, name: this.#name });
        return;
      case 'closed': {
        const refused = change.code === CloseCode.RoomFull || change.code === CloseCode.UnsupportedVersion;
        const status: RoomStatus = { phase: refused ? 'rejected' : 'offline' };
        const code = this.#lastError?.code ?? change.code;
        if (code !== undefined) status.code = code;
        const detail = this.#lastError?.message ?? change.reason;
        if (detail) status.detail = detail;
        this.setStatus(status);
        return;
      }
    }
  }

  private onServerMessage(message: ServerMessage): void {
    switch (message.type) {
      case ServerMessageType.Welcome:
        this.#selfId = message.id;
        this.#lastError = undefined;
        this.#mesh.setIceServers(message.iceServers);
        for (const member of message.members) {
          this.addParticipant(member);
          // The newcomer makes the offers: exactly one side initiates, so offers never collide.
          this.#mesh.connect(member.id);
        }
        this.setStatus({ phase: 'joined' });
        return;
      case ServerMessageType.PeerJoined:
        this.addParticipant(message.peer);
        return;
      case ServerMessageType.PeerLeft:
        this.removeParticipant(message.id);
        return;
      case ServerMessageType.PeerRenamed: {
        const participant = this.#participants.get(message.peer.id);
        if (participant) {
          participant.name = message.peer.name;
          this.emit('change', undefined);
        }
        return;
      }
      case ServerMessageType.Signal:
        this.#mesh.handleSignal(message.from, message.data, this.#participants.has(message.from));
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

  private onPeerState(id: string, state: PeerConnectionState): void {
    const participant = this.#participants.get(id);
    if (!participant || participant.state === state) return;
    participant.state = state;
    this.emit('change', undefined);
  }

  private onPeerData(from: string, data: unknown): void {
    const participant = this.#participants.get(from);
    const message = decodePeerMessage(data);
    if (!participant || !message) {
      this.#invalidPeerFrames += 1;
      return;
    }
    switch (message.type) {
      case PeerMessageType.Chat:
        this.addMessage({
          id: `${from}/${message.id}`,
          authorId: from,
          authorName: participant.name,
          text: message.text,
          sentAt: message.sentAt,
          own: false,
        });
    }
  }

  private onPeerClosed(id: string): void {
    const participant = this.#participants.get(id);
    if (!participant) return;
    if (this.#status.phase !== 'joined') {
      // Without signaling, a closed data channel is the only sign that the peer has gone.
      this.removeParticipant(id);
      return;
    }
    // With signaling, the server says whether the member left (peer-left); until then the direct
    // link is simply down.
    participant.state = 'failed';
    this.emit('change', undefined);
  }

  private addParticipant(member: Member): void {
    if (member.id === this.#selfId) return;
    const existing = this.#participants.get(member.id);
    if (existing) {
      existing.name = member.name;
      return;
    }
    const participant: Participant = { id: member.id, name: member.name, state: this.#mesh.stateOf(member.id) ?? 'connecting' };
    this.#participants.set(member.id, participant);
    this.emit('peer-joined', participant);
    this.emit('change', undefined);
  }

  private removeParticipant(id: string): void {
    const participant = this.#participants.get(id);
    this.#mesh.remove(id);
    if (!participant) return;
    this.#participants.delete(id);
    this.emit('peer-left', participant);
    this.emit('change', undefined);
  }

  private addMessage(message: ChatMessage): void {
    if (this.#seenMessageIds.has(message.id)) return;
    this.#seenMessageIds.add(message.id);
    this.#messages.push(message);
    if (this.#messages.length > this.#maxMessages) {
      const dropped = this.#messages.splice(0, this.#messages.length - this.#maxMessages);
      for (const old of dropped) this.#seenMessageIds.delete(old.id);
    }
    this.emit('message', message);
    this.emit('change', undefined);
  }

  private setStatus(status: RoomStatus): void {
    this.#status = status;
    this.emit('status', status);
    this.emit('change', undefined);
  }
}
