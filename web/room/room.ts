/**
 * ParleyRoom: one person's view of one chat room, without any UI. It joins the room through the
 * signaling server (reconnecting by itself), keeps a direct WebRTC connection to every other member
 * (full mesh, rebuilt when it breaks), and keeps the message log with delivery receipts. Chat text
 * and names only ever travel over the data channels.
 *
 * Nobody without the room key can take part, not even the signaling server: the key never leaves
 * the page, signaling is sealed with a key derived from it, every connection must be proven by
 * both sides before anything crosses it, and every message is signed by its author
 * (docs/security.md).
 *
 * This file only wires the parts together: the signaling client and the peer mesh (transport/),
 * the keys and seals (security/), the participant registry, the link supervisor (who offers,
 * healing), the peer verifier (proofs) and the conversation (log, clock, receipts, history).
 */
import { Emitter } from '../shared/emitter.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { AuthorDirectory } from './author-directory.js';
import { Conversation, ChatSendError, type AmendmentChange, type ChatMessage, type RefusalReason } from './conversation.js';
import { TypingAnnouncer, TypingPeers } from './typing-indicators.js';
import { RoomFiles, type FileTransferState } from './room-files.js';
import { LinkSupervisor } from './link-supervisor.js';
import { ParticipantRegistry, tagOf, type Participant, type PeerProblem } from './participants.js';
import { PeerVerifier } from './peer-verifier.js';
import { ephemeralIdentity, loadSessionIdentity, type SessionIdentity } from './session-identity.js';
import { VerifiedContacts } from './verified-contacts.js';
import type { DeliverySummary } from './delivery-tracker.js';
import { deriveRoomKeys, hasWebCrypto, RoomKeyError, type RoomKeys } from '../security/room-keys.js';
import { generateSigningKeys, signingIdentity, type SigningIdentity } from '../security/identity-keys.js';
import { SignalSeal, type UnsealFailure } from '../security/signal-seal.js';
import { PeerMesh } from '../transport/peer-mesh.js';
import type { PeerLinkFactory } from '../transport/peer-link.js';
import { createSimplePeerLink } from '../transport/simple-peer-link.js';
import { SignalingClient, type SignalingStateChange, type WebSocketConstructor } from '../transport/signaling-client.js';
import { warmUpWebRtc } from '../transport/webrtc-warm-up.js';
import { IceServerRefresh } from '../transport/ice-server-refresh.js';
import type { LinkFailure, LinkPath } from '../transport/link-diagnosis.js';
import { LinkPaths } from './link-paths.js';
import { decodePeerFrame, encodePeerMessage, PeerMessageType } from '../../protocol/peer.js';
import { normaliseDisplayName } from '../../protocol/names.js';
import {
  ClientMessageType,
  CloseCode,
  ErrorCode,
  PROTOCOL_VERSION,
  ServerMessageType,
  type ErrorMessage,
  type ServerMessage,
} from '../../protocol/signaling.js';

export { ChatSendError } from './conversation.js';
export type { ChatMessage, RefusalReason, Reaction, AmendmentChange } from './conversation.js';
export type { FileTransferState, IncomingStatus, OutgoingStatus } from './room-files.js';
export { isShownImage } from './room-files.js';
export type { Participant, PeerConnectionState, PeerProblem, ProofState } from './participants.js';
export type { DeliverySummary } from './delivery-tracker.js';
export type { LinkFailure, LinkPath, LinkRoute, CandidateType } from '../transport/link-diagnosis.js';
export { tagOf } from './participants.js';

/**
 * - connecting: opening the signaling connection or waiting for `welcome` (first time)
 * - joined: in the room; new peers can find us
 * - reconnecting: the signaling connection is gone and being retried; direct connections keep working
 * - rejected: the room cannot be joined (room full, incompatible version, opened elsewhere, a room
 *   key that is too weak, a page without WebCrypto)
 * - closed: close() was called
 */
export type RoomPhase = 'connecting' | 'joined' | 'reconnecting' | 'rejected' | 'closed';

/** Why a room was refused before it reached the server. */
export const RoomRefusal = {
  /** The room key is too short or has characters a key cannot have. */
  BadRoomKey: 'bad-room-key',
  /** The page has no WebCrypto (a plain-http page on another machine than localhost). */
  InsecureContext: 'insecure-context',
  /** The signaling server does not accept pages of this origin (its ALLOWED_ORIGINS). */
  OriginNotAllowed: 'origin-not-allowed',
} as const;
export type RoomRefusal = (typeof RoomRefusal)[keyof typeof RoomRefusal];

export interface RoomStatus {
  phase: RoomPhase;
  /** For 'rejected' and 'reconnecting': the error code or the close code, when known. */
  code?: ErrorCode | RoomRefusal | number;
  /** A human-readable explanation, when there is one. */
  detail?: string;
  /** For 'reconnecting': when the next attempt starts (Date.now() clock), if one is scheduled. */
  retryAt?: number;
}

/** Something only an attacker or a broken peer causes, reported as it happens. */
export type SecurityEvent =
  /** A peer failed to prove itself on its connection and was disconnected. */
  | { kind: 'peer-refused'; peerId: string; problem: PeerProblem }
  /** A signal payload said to be from `peerId` did not open: changed, replayed or redirected on the way. */
  | { kind: 'signal-refused'; peerId: string; failure: UnsealFailure }
  /** A message or history entry sent by `peerId` was refused. */
  | { kind: 'message-refused'; peerId: string; reason: RefusalReason };

export interface RoomEvents {
  /** Anything visible changed (participants, messages, receipts, status, name). */
  change: void;
  /** A message entered the log (sent here, or received live or through history). */
  message: ChatMessage;
  /** A message in the log changed: its author edited or deleted it, or its reactions changed. */
  'message-changed': { message: ChatMessage; change: AmendmentChange };
  /** Who is typing changed; `participants` are those typing now, in the order they started. */
  typing: { participants: Participant[] };
  /** A file's transfer changed: accepted, progressed, paused, complete, cancelled or failed. */
  'file-transfer': FileTransferState;
  /** Someone joined, proved it holds the room key, and said its name. */
  'peer-joined': Participant;
  /** Someone announced by 'peer-joined' is gone. */
  'peer-left': Participant;
  status: RoomStatus;
  security: SecurityEvent;
  /** The direct connection to a participant takes this path: known once it opens, or changed. */
  'link-path': { participant: Participant; path: LinkPath };
  /** An attempt to connect to a participant found no path; `failure` says why. */
  'link-failed': { participant: Participant; failure: LinkFailure };
  /** Who has one of our messages changed: `delivery` is its receipt now. */
  receipt: { messageId: string; delivery: DeliverySummary };
  /**
   * What we know of a participant's identity changed: its safety code became known (its connection
   * was proven), it was marked verified or no longer, or it shows the name of someone verified here
   * with another key (`identityChanged`). The participant carries the new `safetyCode`, `verified`
   * and `identityChanged`.
   */
  verification: Participant;
}

export interface ParleyRoomOptions {
  /** The secret room key from the link; it never leaves this page. */
  roomKey: string;
  name: string;
  /** ws:// or wss:// URL of the signaling endpoint. */
  signalingUrl: string;
  /** Who this tab is; by default a fresh identity (a new participant), or see persistIdentity. */
  identity?: SessionIdentity;
  /** Keep this tab's identity across reloads (sessionStorage and IndexedDB) when none is given. */
  persistIdentity?: boolean;
  /** Where verified peers are remembered; localStorage by default. */
  contactsStore?: Storage;
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

/** Everything that needs the room's keys and this participant's identity, made once they exist. */
interface RoomParts {
  keys: RoomKeys;
  session: SessionIdentity;
  self: SigningIdentity;
  /** This tab was this participant before, with the same keys (see SessionIdentity.resumed). */
  resumed: boolean;
  seal: SignalSeal;
  mesh: PeerMesh;
  links: LinkSupervisor;
  verifier: PeerVerifier;
  directory: AuthorDirectory;
  conversation: Conversation;
  typingPeers: TypingPeers;
  typingAnnouncer: TypingAnnouncer;
  files: RoomFiles;
  contacts: VerifiedContacts;
  paths: LinkPaths;
}

export class ParleyRoom extends Emitter<RoomEvents> {
  readonly #options: ParleyRoomOptions;
  readonly #clock: Clock;
  readonly #signaling: SignalingClient;
  readonly #iceRefresh: IceServerRefresh;
  readonly #participants = new ParticipantRegistry();
  #parts: RoomParts | undefined;
  #starting: Promise<void> | undefined;
  #name: string;
  #status: RoomStatus = { phase: 'connecting' };
  #everJoined = false;
  /** The last error frame, kept to explain a close that follows it. */
  #lastError: ErrorMessage | undefined;
  /** Peers reported by 'peer-joined' (proven and named), so 'peer-left' is reported only for them. */
  readonly #announced = new Set<string>();
  /** What the last 'verification' event told of each peer, so each change is told once. */
  readonly #verificationShown = new Map<string, string>();
  /** Peers refused on their last connection: their offers are ignored until the server announces them again. */
  readonly #refused = new Set<string>();
  /** Sealed signals are sent in the order they were sealed (their counters rise). */
  #outgoing: Promise<unknown> = Promise.resolve();
  /** Each peer's frames are handled one after the other (checking signatures takes a moment). */
  readonly #inbound = new Map<string, Promise<unknown>>();
  #invalidPeerFrames = 0;
  #unsupportedPeerFrames = 0;
  #refusedSignals = 0;
  #refusedMessages = 0;
  #autoAcceptImagesUpTo = 0;

  constructor(options: ParleyRoomOptions) {
    super();
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#name = normaliseDisplayName(options.name) || 'Guest';
    this.#signaling = new SignalingClient(options.signalingUrl, options.WebSocketImpl);
    this.#signaling.on('state', (change) => this.onSignalingState(change));
    this.#signaling.on('message', (message) => this.onServerMessage(message));
    this.#signaling.on('invalid', (why) => console.warn(`parley: ignored a signaling frame (${why})`));
    this.#iceRefresh = new IceServerRefresh({
      request: () => this.#signaling.send({ type: ClientMessageType.RefreshIceServers }),
      apply: (iceServers) => this.#parts?.mesh.setIceServers(iceServers),
      clock: this.#clock,
    });
    this.#participants.on('admitted', ({ participant }) => {
      this.#parts?.conversation.peerPresent(participant.id);
      this.emit('change', undefined);
    });
    this.#participants.on('removed', (participant) => {
      this.#parts?.conversation.peerLeft(participant.id);
      this.#parts?.verifier.linkClosed(participant.id);
      this.#parts?.paths.removed(participant.id);
      this.#parts?.typingPeers.stopped(participant.id);
      this.#verificationShown.delete(participant.id);
      if (this.#announced.delete(participant.id)) this.emit('peer-left', participant);
      this.emit('change', undefined);
    });
    this.#participants.on('changed', () => this.emit('change', undefined));
  }

  /** Derives the room's keys, then connects to the signaling server and joins the room. */
  start(): void {
    if (this.#status.phase === 'closed' || this.#starting) return;
    this.#starting = this.prepare().then(
      () => {
        if (this.#status.phase === 'closed') return;
        this.#parts!.conversation.start();
        this.#signaling.connect();
      },
      (error: unknown) => {
        if (this.#status.phase === 'closed') return;
        if (error instanceof RoomKeyError) this.setStatus({ phase: 'rejected', code: RoomRefusal.BadRoomKey, detail: error.message });
        else if (!hasWebCrypto()) {
          this.setStatus({
            phase: 'rejected',
            code: RoomRefusal.InsecureContext,
            detail: 'This page cannot encrypt: open it over https:// (or on localhost). Parley never sends a chat unencrypted.',
          });
        } else {
          console.error('parley: could not set up the room', error);
          this.setStatus({ phase: 'rejected', detail: 'This browser could not set up the room’s encryption.' });
        }
      },
    );
  }

  /** This room's id as the server knows it ('' until start() has derived it). */
  get roomId(): string {
    return this.#parts?.keys.roomId ?? '';
  }

  /** This participant's peer id ('' until start() has derived it; the server derives the same). */
  get selfId(): string {
    return this.#parts?.self.peerId ?? '';
  }

  /** The short tag shown beside this participant's name (tagOf the peer id). */
  get selfTag(): string {
    return tagOf(this.selfId);
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
    return this.#parts?.conversation.messages ?? [];
  }

  /** Receipts for one of this participant's own messages. */
  deliveryOf(messageId: string): DeliverySummary | undefined {
    return this.#parts?.conversation.deliveryOf(messageId);
  }

  /** The display name of a participant, if known. */
  nameOf(peerId: string): string | undefined {
    return this.#participants.nameOf(peerId) || undefined;
  }

  /** Data channel frames dropped because they were not valid peer messages (or came before a proof). */
  get invalidPeerFrames(): number {
    return this.#invalidPeerFrames;
  }

  /** Data channel frames of a newer peer protocol that this version does not know (set aside). */
  get unsupportedPeerFrames(): number {
    return this.#unsupportedPeerFrames;
  }

  /** Signal payloads that did not open (changed, replayed, redirected, or not sealed at all). */
  get refusedSignals(): number {
    return this.#refusedSignals;
  }

  /** Messages and history entries refused: forged, from the future, or history nobody asked for. */
  get refusedMessages(): number {
    return this.#refusedMessages;
  }

  /**
   * Sends a chat message to everyone in the room and adds it to the log. Peers that are not
   * reachable right now get it when their connection opens again. Throws ChatSendError for an
   * empty or over-long message, before the room is ready, or after close().
   */
  send(text: string): ChatMessage {
    const parts = this.partsToWrite();
    const message = parts.conversation.send(text, this.#name, this.#participants.ids());
    parts.typingAnnouncer.sent();
    return message;
  }

  /** Like send(), as a reply to the message `messageId` (shown with a quote of it). */
  reply(messageId: string, text: string): ChatMessage {
    const parts = this.partsToWrite();
    const message = parts.conversation.reply(messageId, text, this.#name, this.#participants.ids());
    parts.typingAnnouncer.sent();
    return message;
  }

  /**
   * Gives one of this participant's messages a new text, for everyone (peers away now get it when
   * they are back). Throws ChatSendError for someone else's message, a file, or a bad text.
   */
  editMessage(messageId: string, text: string): Promise<void> {
    return this.partsToWrite().conversation.edit(messageId, text, this.#name, this.#participants.ids());
  }

  /** Deletes one of this participant's messages, for everyone: "Message deleted" stays in its place. */
  deleteMessage(messageId: string): Promise<void> {
    return this.partsToWrite().conversation.delete(messageId, this.#name, this.#participants.ids());
  }

  /** Toggles this participant's reaction `emoji` to a message; resolves with whether it is on now. */
  react(messageId: string, emoji: string): Promise<boolean> {
    return this.partsToWrite().conversation.react(messageId, emoji, this.#name, this.#participants.ids());
  }

  /** Whether this participant reacted to a message with `emoji`. */
  hasReacted(messageId: string, emoji: string): boolean {
    return this.#parts?.conversation.hasReacted(messageId, emoji) ?? false;
  }

  /** A message in the log, by id (for a reply's quote). */
  messageById(messageId: string): ChatMessage | undefined {
    return this.#parts?.conversation.messageById(messageId);
  }

  /**
   * Call on each keystroke in a message box: the others see this participant typing (told at most
   * every few seconds, and that it stopped after a few idle seconds). `typing(false)`: it stopped
   * now (the box was emptied).
   */
  typing(active = true): void {
    const announcer = this.#parts?.typingAnnouncer;
    if (!announcer || this.#status.phase === 'closed') return;
    if (active) announcer.typed();
    else announcer.stopped();
  }

  /** The participants typing now. */
  get typingParticipants(): Participant[] {
    return (this.#parts?.typingPeers.typing ?? []).flatMap((id) => this.#participants.get(id) ?? []);
  }

  /**
   * Offers a file to everyone in the room, as a message: its name, size, type and digest (and a
   * preview, for an image), signed. Each person fetches it from this page directly, when they
   * accept it, for as long as this page is open. Resolves once the file is hashed and offered.
   */
  shareFile(file: File): Promise<ChatMessage> {
    return this.partsToWrite().files.share(file);
  }

  /** Starts fetching someone's file straight from its author (again, after a failure). */
  acceptFile(messageId: string): Promise<void> {
    return this.partsToWrite().files.accept(messageId);
  }

  /** Stops fetching someone's file, or stops offering one's own. */
  cancelFile(messageId: string): void {
    this.#parts?.files.cancel(messageId);
  }

  /** Where a file message's transfer stands here, if one started. */
  fileTransfer(messageId: string): FileTransferState | undefined {
    return this.#parts?.files.state(messageId);
  }

  /** A file message's file: one's own, or someone's once received and checked against its digest. */
  fileOf(messageId: string): File | undefined {
    return this.#parts?.files.file(messageId);
  }

  /** Someone else's images up to this many bytes are fetched as soon as they are offered (0: never; never one of 64 MiB or more, which could start a download nobody clicked). */
  get autoAcceptImagesUpTo(): number {
    return this.#autoAcceptImagesUpTo;
  }

  set autoAcceptImagesUpTo(bytes: number) {
    this.#autoAcceptImagesUpTo = Math.max(0, bytes);
    if (this.#parts) this.#parts.files.autoAcceptImagesUpTo = this.#autoAcceptImagesUpTo;
  }

  /** The room's parts, for an action that writes: throws ChatSendError after close() or before the room is ready. */
  private partsToWrite(): RoomParts {
    if (this.#status.phase === 'closed') throw new ChatSendError('closed', 'This room has been left.');
    if (!this.#parts) throw new ChatSendError('not-ready', 'The room is still starting; try again in a moment.');
    return this.#parts;
  }

  /** Changes this participant's display name and tells the peers. */
  setName(name: string): void {
    const normalised = normaliseDisplayName(name);
    if (!normalised || normalised === this.#name) return;
    this.#name = normalised;
    const frame = encodePeerMessage({ type: PeerMessageType.Profile, name: normalised });
    for (const id of this.#participants.ids()) this.sendProven(id, frame);
    this.emit('change', undefined);
  }

  /**
   * Marks a proven peer as verified (its safety code matched what the person read out) or not.
   * Remembered for the room by its key; returns false if the peer is not proven right now.
   */
  setVerified(peerId: string, verified: boolean): boolean {
    const parts = this.#parts;
    const peer = parts?.verifier.provenPeer(peerId);
    if (!parts || !peer) return false;
    parts.contacts.set(this.#participants.nameOf(peerId) ?? '', peer.publicKey, verified);
    for (const participant of this.#participants.list()) this.refreshIdentity(participant.id);
    return true;
  }

  /**
   * Whether a received message carries the name of someone verified in this room while its author
   * is not that person (another key): "Ada" written by someone who is not the Ada you verified.
   */
  showsVerifiedNameFalsely(message: ChatMessage): boolean {
    const parts = this.#parts;
    if (!parts || message.own) return false;
    const author = parts.directory.recordOf(message.authorId);
    return author !== undefined && parts.contacts.isImpostorOf(message.authorName, author.key);
  }

  /** Leaves the room: closes every peer connection and the signaling connection. */
  close(): void {
    if (this.#status.phase === 'closed') return;
    const parts = this.#parts;
    this.setStatus({ phase: 'closed' });
    this.#iceRefresh.stop();
    if (this.#signaling.state === 'open') this.#signaling.send({ type: ClientMessageType.Leave });
    if (parts) {
      // Tell peers directly too: the others see us go at once even without a signaling server.
      const bye = encodePeerMessage({ type: PeerMessageType.Bye });
      for (const id of this.#participants.ids()) this.sendProven(id, bye);
      parts.links.dispose();
      parts.paths.dispose();
      parts.verifier.dispose();
      parts.conversation.stop();
      parts.typingAnnouncer.dispose();
      parts.typingPeers.clear();
      parts.files.dispose();
      parts.mesh.destroy();
    }
    this.#signaling.close();
    this.#participants.clear();
    this.removeAllListeners();
  }

  private async prepare(): Promise<void> {
    const options = this.#options;
    // A new key pair is made alongside the room's keys; a tab that has one already leaves it unused.
    const fresh = generateSigningKeys();
    fresh.catch(() => undefined); // its failure is met where it is used, if it is
    const keys = await deriveRoomKeys(options.roomKey);
    const session = options.identity ?? (options.persistIdentity ? loadSessionIdentity(keys.roomId) : ephemeralIdentity());
    const { keys: signingKeys, stored } = await session.signingKeys(keys.roomId, fresh);
    const self = await signingIdentity(keys.roomId, session.secret, signingKeys);
    const clock = this.#clock;
    const mesh = new PeerMesh({ selfId: self.peerId, createLink: options.createLink ?? createSimplePeerLink, clock });
    const links = new LinkSupervisor({
      selfId: self.peerId,
      mesh,
      participants: this.#participants,
      isJoined: () => this.#status.phase === 'joined',
      probe: (id) => this.sendProven(id, encodePeerMessage({ type: PeerMessageType.Ping })),
      clock,
      ...(options.random ? { random: options.random } : {}),
    });
    const verifier = new PeerVerifier({
      roomId: keys.roomId,
      self,
      membershipKey: keys.membershipKey,
      sendRaw: (id, frame) => mesh.send(id, frame),
      clock,
    });
    const directory = new AuthorDirectory(keys.roomId, self);
    const conversation = new Conversation({
      selfId: self.peerId,
      nextSequence: () => session.nextSequence(),
      peers: { send: (id, frame) => this.sendProven(id, frame) },
      authority: directory,
      maxMessages: options.maxMessages ?? DEFAULT_MAX_MESSAGES,
      clock,
    });
    const typingPeers = new TypingPeers(clock);
    const typingAnnouncer = new TypingAnnouncer(clock, (active) => {
      const frame = encodePeerMessage({ type: PeerMessageType.Typing, active });
      for (const id of this.#participants.ids()) this.sendProven(id, frame);
    });
    const files = new RoomFiles({
      mesh,
      isProven: (id) => verifier.isProven(id),
      conversation,
      recipients: () => this.#participants.ids(),
      name: () => this.#name,
      onChange: (state) => {
        this.emit('file-transfer', state);
        this.emit('change', undefined);
      },
    });
    files.autoAcceptImagesUpTo = this.#autoAcceptImagesUpTo;
    const seal = new SignalSeal({ roomId: keys.roomId, selfId: self.peerId, key: keys.sealKey, now: () => clock.now() });
    const contacts = new VerifiedContacts(keys.roomId, options.contactsStore);
    const paths = new LinkPaths({
      participants: this.#participants,
      probe: (id) => mesh.path(id),
      onRoute: (id, path) => {
        const participant = this.#participants.get(id);
        if (participant) this.emit('link-path', { participant, path });
      },
      onFailure: (id, failure) => {
        const participant = this.#participants.get(id);
        if (participant) this.emit('link-failed', { participant, failure });
      },
      clock,
    });
    this.#parts = { keys, session, self, resumed: session.resumed && stored, seal, mesh, links, verifier, directory, conversation, typingPeers, typingAnnouncer, files, contacts, paths };

    mesh.on('signal', ({ to, data }) => {
      const sealed = seal.seal(to, data);
      this.#outgoing = this.#outgoing.then(async () => this.#signaling.send({ type: ClientMessageType.Signal, to, data: await sealed }));
    });
    mesh.on('state', ({ id, state }) => {
      // A new connection to `id` (the mesh says 'connecting' only when it starts one) may replace a
      // working one without a 'closed' for it: the old one's proof must not vouch for the new one,
      // and its transfers resume on the new one once that is proven.
      if (state === 'connecting') {
        verifier.linkClosed(id);
        files.linkClosed(id);
      }
      // A channel that is open but not yet proven is not "connected" to anyone who sees it.
      if (state === 'connected' && !verifier.isProven(id)) return;
      links.onLinkState(id, state);
    });
    mesh.on('open', ({ id, fingerprints }) => {
      this.#participants.update(id, { proof: 'pending', safetyCode: undefined });
      verifier.linkOpened(id, fingerprints);
    });
    mesh.on('data', ({ from, data }) => {
      // Which connection it came on is known only now: frames wait their turn (see #inbound).
      const linkNumber = verifier.linkNumber(from);
      const previous = this.#inbound.get(from) ?? Promise.resolve();
      this.#inbound.set(
        from,
        previous
          .then(() => this.onPeerData(from, data, linkNumber))
          .catch((error: unknown) => console.error('parley: a peer frame could not be handled', error)),
      );
    });
    mesh.on('binary', ({ from, data }) => {
      // Bytes count only on a proven link, and only where this page asked for them.
      if (!verifier.isProven(from) || !files.handleChunk(from, data)) this.#invalidPeerFrames += 1;
    });
    mesh.on('closed', ({ id, failure }) => {
      paths.closed(id, failure);
      files.linkClosed(id);
      verifier.linkClosed(id);
      if (this.#refused.has(id)) return;
      this.#participants.update(id, { proof: 'pending', safetyCode: undefined });
      links.onLinkClosed(id);
    });
    verifier.on('proven', (peer) => {
      this.#refused.delete(peer.id);
      directory.addProven({ id: peer.id, key: peer.publicKey, commit: peer.commit }, peer.key);
      this.#participants.update(peer.id, { proof: 'proven', problem: undefined, safetyCode: peer.safetyCode });
      this.refreshIdentity(peer.id);
      links.onLinkState(peer.id, 'connected');
      paths.connected(peer.id);
      this.sendProven(peer.id, encodePeerMessage({ type: PeerMessageType.Profile, name: this.#name }));
      void conversation.linkProven(peer.id);
      files.linkProven(peer.id);
    });
    verifier.on('refused', ({ id, failure }) => {
      this.#refused.add(id);
      this.#participants.update(id, { proof: 'refused', problem: failure, safetyCode: undefined });
      links.giveUp(id);
      this.emit('security', { kind: 'peer-refused', peerId: id, problem: failure });
    });
    conversation.on('message', (message) => {
      // Their message is what they were typing.
      if (!message.own && !message.fromHistory) typingPeers.stopped(message.authorId);
      files.messageAdded(message);
      this.emit('message', message);
      this.emit('change', undefined);
    });
    conversation.on('updated', (update) => {
      if (update.change === 'deleted') files.messageDeleted(update.message.id);
      this.emit('message-changed', update);
      this.emit('change', undefined);
    });
    typingPeers.on('changed', () => {
      this.emit('typing', { participants: this.typingParticipants });
      this.emit('change', undefined);
    });
    conversation.on('receipts', (messageIds) => {
      for (const messageId of messageIds) {
        const delivery = conversation.deliveryOf(messageId);
        if (delivery) this.emit('receipt', { messageId, delivery });
      }
      this.emit('change', undefined);
    });
    conversation.on('refused', ({ from, reason }) => {
      this.#refusedMessages += 1;
      this.emit('security', { kind: 'message-refused', peerId: from, reason });
      this.emit('change', undefined);
    });
  }

  /** Writes a frame to a peer whose current connection is proven; false otherwise. */
  private sendProven(peerId: string, frame: string): boolean {
    const parts = this.#parts;
    return parts !== undefined && parts.verifier.isProven(peerId) && parts.mesh.send(peerId, frame);
  }

  /** Recomputes whether a proven peer is verified, or shows a verified name with another key. */
  private refreshIdentity(peerId: string): void {
    const peer = this.#parts?.verifier.provenPeer(peerId);
    if (!peer) return;
    const contacts = this.#parts!.contacts;
    const name = this.#participants.nameOf(peerId) ?? '';
    this.#participants.update(peerId, { verified: contacts.isVerified(peer.publicKey), identityChanged: contacts.isImpostorOf(name, peer.publicKey) });
    const participant = this.#participants.get(peerId);
    if (!participant) return;
    const shown = `${participant.safetyCode ?? ''}|${participant.verified}|${participant.identityChanged}`;
    if (this.#verificationShown.get(peerId) === shown) return;
    this.#verificationShown.set(peerId, shown);
    this.emit('verification', participant);
  }

  private onSignalingState(change: SignalingStateChange): void {
    const parts = this.#parts;
    if (this.#status.phase === 'closed' || !parts) return;
    switch (change.state) {
      case 'connecting':
        this.setStatus({ phase: this.#everJoined ? 'reconnecting' : 'connecting' });
        return;
      case 'open':
        this.#signaling.send({
          type: ClientMessageType.Join,
          v: PROTOCOL_VERSION,
          room: parts.keys.roomId,
          session: parts.session.secret,
          key: parts.self.publicKeyDigest,
        });
        // While the join makes its round trip; a no-op once done (index.html's script may have).
        warmUpWebRtc();
        return;
      case 'waiting': {
        this.#iceRefresh.stop();
        parts.links.onSignalingLost();
        const status: RoomStatus = { phase: this.#everJoined ? 'reconnecting' : 'connecting' };
        if (change.retryAt !== undefined) status.retryAt = change.retryAt;
        if (change.code !== undefined) status.code = change.code;
        this.setStatus(status);
        return;
      }
      case 'closed': {
        this.#iceRefresh.stop();
        parts.links.onSignalingLost();
        if (change.originRefused) {
          const site = typeof location === 'undefined' ? 'this site' : `this site (${location.origin})`;
          this.setStatus({
            phase: 'rejected',
            code: RoomRefusal.OriginNotAllowed,
            detail: `This Parley server does not accept chats from ${site}. Its operator can allow the site with ALLOWED_ORIGINS.`,
          });
          return;
        }
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
    const parts = this.#parts;
    if (!parts) return;
    switch (message.type) {
      case ServerMessageType.Welcome: {
        const firstWelcome = !this.#everJoined;
        this.#everJoined = true;
        this.#lastError = undefined;
        if (message.id !== parts.self.peerId) console.warn('parley: the server gave this participant another id than its keys give; peers will refuse it');
        for (const member of message.members) this.#refused.delete(member.id);
        this.#iceRefresh.received(message);
        parts.links.onWelcome(message.members, firstWelcome && parts.resumed);
        this.setStatus({ phase: 'joined' });
        return;
      }
      case ServerMessageType.PeerJoined:
        this.#refused.delete(message.peer.id);
        parts.links.onPeerJoined(message.peer);
        return;
      case ServerMessageType.PeerLeft:
        if (this.#participants.has(message.id)) parts.conversation.peerLeft(message.id);
        parts.links.onPeerLeft(message.id, message.reason);
        return;
      case ServerMessageType.Signal:
        void this.openSignal(parts, message.from, message.data);
        return;
      case ServerMessageType.IceServers:
        this.#iceRefresh.received(message);
        return;
      case ServerMessageType.Error:
        if (message.code === ErrorCode.IceRefreshLimited) {
          // Not about the connection: the credentials held are still good for a while.
          this.#iceRefresh.refused(message.retryAfterMs ?? 0);
          return;
        }
        this.#lastError = message;
        if (message.retryAfterMs !== undefined) this.#signaling.retryNoSoonerThan(Date.now() + message.retryAfterMs);
        console.warn(`parley: signaling server error ${message.code}: ${message.message}`);
        return;
      default: {
        const unhandled: never = message;
        console.warn('parley: unhandled signaling message', unhandled);
      }
    }
  }

  /** A sealed signal from `from`: opened in arrival order, then handed to the supervisor. */
  private async openSignal(parts: RoomParts, from: string, sealed: unknown): Promise<void> {
    const opened = await parts.seal.open(from, sealed);
    if (this.#status.phase === 'closed') return;
    if (!opened.ok) {
      this.#refusedSignals += 1;
      if (this.#participants.has(from)) this.#participants.update(from, { problem: 'tampered-signaling' });
      this.emit('security', { kind: 'signal-refused', peerId: from, failure: opened.failure });
      this.emit('change', undefined);
      return;
    }
    // A peer that failed its proof may not start over by offering; the server announcing it again may.
    if (opened.data.type === 'offer' && this.#refused.has(from)) return;
    if (this.#participants.get(from)?.problem === 'tampered-signaling') this.#participants.update(from, { problem: undefined });
    parts.links.onSignal(from, opened.data);
  }

  private async onPeerData(from: string, data: unknown, linkNumber: number | undefined): Promise<void> {
    const parts = this.#parts;
    if (!parts || this.#status.phase === 'closed') return;
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
    if (message.type === PeerMessageType.Prove) {
      await parts.verifier.receiveProof(from, message, linkNumber);
      return;
    }
    // Nothing but a proof counts on a connection that is not proven (nor from an earlier one).
    if (!parts.verifier.isProven(from) || parts.verifier.linkNumber(from) !== linkNumber) {
      this.#invalidPeerFrames += 1;
      return;
    }
    switch (message.type) {
      case PeerMessageType.Bye:
        parts.links.dismiss(from);
        return;
      case PeerMessageType.Ping:
        this.sendProven(from, encodePeerMessage({ type: PeerMessageType.Pong }));
        return;
      case PeerMessageType.Pong:
        parts.links.onPeerAnswered(from);
        return;
      case PeerMessageType.Typing:
        parts.typingPeers.heard(from, message.active);
        return;
      case PeerMessageType.FileGet:
      case PeerMessageType.FileAck:
      case PeerMessageType.FileCancel:
        parts.files.handleFrame(from, message);
        return;
      case PeerMessageType.Profile: {
        const name = normaliseDisplayName(message.name);
        if (!name) {
          this.#invalidPeerFrames += 1;
          return;
        }
        this.#participants.rename(from, name);
        this.refreshIdentity(from);
        if (!this.#announced.has(from)) {
          this.#announced.add(from);
          this.emit('peer-joined', this.#participants.get(from)!);
        }
        return;
      }
      default:
        await parts.conversation.receive(from, message);
    }
  }

  private setStatus(status: RoomStatus): void {
    this.#status = status;
    this.emit('status', status);
    this.emit('change', undefined);
  }
}
