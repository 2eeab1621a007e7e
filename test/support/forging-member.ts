// A forging member: an attacker that holds the room key and follows the protocol honestly far
// enough to be proven (it really is a member, with its own signing key and peer id), and then
// writes whatever frames it likes on its data channels. It is built from the product's own parts
// (key derivation, identity, signal seal, peer mesh over real WebRTC, peer verifier), so what the
// victims see is exactly what a modified page in a browser could send them; only the conversation
// and the room around those parts are left out, so nothing stops it from lying.
//
// For the proof step it can be given a wrong membership key (it knows how to seal signals for
// the room, but not how to prove membership), and it can hold its proofs back to send frames
// before them.
import WebSocket from 'ws';
import { TestClient } from './ws-client.js';
import { until } from './room-waits.js';
import { createSessionSecret, deriveRoomKeys, type RoomKeys } from '../../web/security/room-keys.js';
import { generateSigningKeys, sign, signingIdentity, type SigningIdentity } from '../../web/security/identity-keys.js';
import { SignalSeal } from '../../web/security/signal-seal.js';
import { PeerMesh } from '../../web/transport/peer-mesh.js';
import { createSimplePeerLink } from '../../web/transport/simple-peer-link.js';
import { PeerVerifier, type VerificationFailure } from '../../web/room/peer-verifier.js';
import { messageSignaturePayload } from '../../protocol/room-crypto.js';
import { messageId } from '../../protocol/ids.js';
import {
  decodePeerMessage,
  encodePeerMessage,
  PeerMessageType,
  type HistoryAuthor,
  type HistoryEntry,
  type PeerMessage,
} from '../../protocol/peer.js';
import { ClientMessageType, ServerMessageType, type ServerMessage, type SignalData } from '../../protocol/signaling.js';

export interface ForgingMemberOptions {
  signalUrl: string;
  /** The real room's key: its room id and seal key are used. */
  roomKey: string;
  name?: string;
  /**
   * Prove membership with the membership key of this other room key instead: a member that can
   * seal signals for the room (so its connections open) but cannot prove it holds the key.
   */
  membershipKeyFrom?: string;
  /** Keep each connection's proof back until releaseProof(), so frames can go before it. */
  holdProofs?: boolean;
}

/** The fields an author signs for a message (protocol/room-crypto.ts). */
export interface MessageFields {
  id: string;
  text: string;
  sentAt: number;
  name: string;
}

export class ForgingMember {
  readonly name: string;
  readonly keys: RoomKeys;
  readonly identity: SigningIdentity;
  readonly #client: TestClient;
  readonly #seal: SignalSeal;
  readonly #mesh: PeerMesh;
  readonly #verifier: PeerVerifier;
  readonly #holdProofs: boolean;
  readonly #heldProofs = new Map<string, string>();
  #sequence = 0;
  #outgoing: Promise<unknown> = Promise.resolve();
  /** Decoded frames received on the data channels, per peer (proofs included). */
  readonly #frames = new Map<string, PeerMessage[]>();
  /** Opened signal payloads received, per peer, in order. */
  readonly #signals = new Map<string, SignalData[]>();
  readonly #open = new Set<string>();
  /** Peers whose proofs this member checked (its own view; the victims decide for themselves). */
  readonly proven = new Set<string>();
  readonly refusedBy = new Map<string, VerificationFailure>();
  /** Every time a connection to a peer ended, by peer id. */
  readonly closed: string[] = [];

  private constructor(options: ForgingMemberOptions, keys: RoomKeys, identity: SigningIdentity, client: TestClient, proofKey: CryptoKey) {
    this.name = options.name ?? 'Mallory';
    this.keys = keys;
    this.identity = identity;
    this.#client = client;
    this.#holdProofs = options.holdProofs ?? false;
    this.#seal = new SignalSeal({ roomId: keys.roomId, selfId: identity.peerId, key: keys.sealKey, now: () => Date.now() });
    this.#mesh = new PeerMesh({ selfId: identity.peerId, createLink: createSimplePeerLink });
    this.#verifier = new PeerVerifier({
      roomId: keys.roomId,
      self: identity,
      membershipKey: proofKey,
      sendRaw: (id, frame) => {
        if (this.#holdProofs) this.#heldProofs.set(id, frame);
        else this.#mesh.send(id, frame);
      },
    });
    this.#mesh.on('signal', ({ to, data }) => {
      // Sealed in order and sent in that order: the receiver refuses a counter lower than the last.
      const sealed = this.#seal.seal(to, data);
      this.#outgoing = this.#outgoing.then(async () => this.#client.send({ type: ClientMessageType.Signal, to, data: await sealed }));
    });
    this.#mesh.on('open', ({ id, fingerprints }) => {
      this.#open.add(id);
      this.#verifier.linkOpened(id, fingerprints);
    });
    this.#mesh.on('closed', ({ id }) => {
      this.#open.delete(id);
      this.#verifier.linkClosed(id);
      this.closed.push(id);
    });
    this.#mesh.on('data', ({ from, data }) => this.onFrame(from, data));
    this.#verifier.on('proven', (peer) => this.proven.add(peer.id));
    this.#verifier.on('refused', ({ id, failure }) => this.refusedBy.set(id, failure));
    client.socket.on('message', (raw: WebSocket.RawData) => this.onServerMessage(JSON.parse(raw.toString()) as ServerMessage));
  }

  /** Joins the room through the signaling server as a member of its own: its id is its keys'. */
  static async join(options: ForgingMemberOptions): Promise<ForgingMember> {
    const keys = await deriveRoomKeys(options.roomKey);
    const proofKey = options.membershipKeyFrom ? (await deriveRoomKeys(options.membershipKeyFrom)).membershipKey : keys.membershipKey;
    const secret = createSessionSecret();
    const identity = await signingIdentity(keys.roomId, secret, await generateSigningKeys());
    const client = await TestClient.connect(options.signalUrl);
    const member = new ForgingMember(options, keys, identity, client, proofKey);
    const welcome = await client.join(keys.roomId, { session: secret, key: identity.publicKeyDigest });
    if (welcome.id !== identity.peerId) throw new Error('the server derived another peer id than the keys give');
    member.#mesh.setIceServers(welcome.iceServers);
    return member;
  }

  get id(): string {
    return this.identity.peerId;
  }

  /** Its key and commit, as a history frame lists an author. */
  get record(): HistoryAuthor {
    return { id: this.identity.peerId, key: this.identity.publicKey, commit: this.identity.commit };
  }

  /** The next id of its own messages: `<its id>:<sequence>`. */
  nextOwnId(): string {
    this.#sequence += 1;
    return messageId(this.id, this.#sequence);
  }

  /** Its own signature over exactly these fields (valid only for messages under its own id). */
  signFields({ id, text, sentAt, name }: MessageFields): Promise<string> {
    return sign(this.identity.keys.privateKey, messageSignaturePayload(this.keys.roomId, id, text, sentAt, name));
  }

  /**
   * A message signed by this member. `fields` default to its own next id, its name and now;
   * `signedText` signs another text than the one the entry carries (a text changed after signing).
   */
  async entry(fields: Partial<MessageFields> & { text: string }, signedText?: string): Promise<HistoryEntry> {
    const full: MessageFields = { id: fields.id ?? this.nextOwnId(), text: fields.text, sentAt: fields.sentAt ?? Date.now(), name: fields.name ?? this.name };
    const sig = await this.signFields({ ...full, text: signedText ?? full.text });
    return { ...full, sig };
  }

  /** Writes a frame (a message, or any raw text) on its channel to `peerId`; false if none is open. */
  send(peerId: string, frame: PeerMessage | string): boolean {
    return this.#mesh.send(peerId, typeof frame === 'string' ? frame : encodePeerMessage(frame));
  }

  sendChat(peerId: string, entry: HistoryEntry): boolean {
    return this.send(peerId, { type: PeerMessageType.Chat, ...entry });
  }

  sendHistory(peerId: string, entries: HistoryEntry[], authors: HistoryAuthor[] = [this.record]): boolean {
    return this.send(peerId, { type: PeerMessageType.History, authors, messages: entries });
  }

  /**
   * A barrier on the channel to `peerId`: an honest chat message, resolved once its ack is back.
   * The victim handles one peer's frames in order, and acks on the same ordered channel, so by
   * then everything sent before has been handled and any ack for it has arrived.
   */
  async sync(peerId: string, timeoutMs = 5000): Promise<HistoryEntry> {
    const entry = await this.entry({ text: `sync ${this.#sequence + 1}` });
    if (!this.sendChat(peerId, entry)) throw new Error(`no open channel to ${peerId}`);
    await until(() => this.acksFrom(peerId).includes(entry.id), `the ack of ${entry.id}`, timeoutMs);
    return entry;
  }

  /** Decoded frames received from `peerId` so far. */
  framesFrom(peerId: string): readonly PeerMessage[] {
    return this.#frames.get(peerId) ?? [];
  }

  /** Every id `peerId` acked to this member. */
  acksFrom(peerId: string): string[] {
    return this.framesFrom(peerId).flatMap((message) => (message.type === PeerMessageType.Ack ? message.ids : []));
  }

  /** Opened signal payloads received from `peerId` so far. */
  signalsFrom(peerId: string): readonly SignalData[] {
    return this.#signals.get(peerId) ?? [];
  }

  isOpen(peerId: string): boolean {
    return this.#open.has(peerId);
  }

  /** Resolves once its data channel to `peerId` is open. */
  whenOpen(peerId: string, timeoutMs = 10_000): Promise<void> {
    return until(() => this.#open.has(peerId), `a channel to ${peerId}`, timeoutMs);
  }

  /**
   * Resolves once `peerId` has accepted this member's proof: a room sends its profile over a
   * connection only after the other side's proof checked out.
   */
  whenAcceptedBy(peerId: string, timeoutMs = 10_000): Promise<void> {
    return until(() => this.framesFrom(peerId).some((message) => message.type === PeerMessageType.Profile), `${peerId} to accept the proof`, timeoutMs);
  }

  /** Sends the proof held back for `peerId` (with holdProofs); false if there is none yet. */
  releaseProof(peerId: string): boolean {
    const frame = this.#heldProofs.get(peerId);
    if (!frame) return false;
    this.#heldProofs.delete(peerId);
    return this.#mesh.send(peerId, frame);
  }

  /** Waits until the proof for `peerId` has been made (with holdProofs), then sends it. */
  async releaseProofWhenReady(peerId: string): Promise<void> {
    await until(() => this.#heldProofs.has(peerId), `the proof for ${peerId}`);
    this.releaseProof(peerId);
  }

  /** Offers a new connection to `peerId`, as a member rebuilding its link would. */
  offerTo(peerId: string): void {
    this.#mesh.connect(peerId);
  }

  close(): void {
    this.#verifier.dispose();
    this.#mesh.destroy();
    this.#client.close();
  }

  private onFrame(from: string, data: unknown): void {
    const message = decodePeerMessage(data);
    if (!message) return;
    const frames = this.#frames.get(from) ?? [];
    frames.push(message);
    this.#frames.set(from, frames);
    if (message.type === PeerMessageType.Prove) {
      void this.#verifier.receiveProof(from, message, this.#verifier.linkNumber(from));
    } else if (message.type === PeerMessageType.Profile && frames.filter((frame) => frame.type === PeerMessageType.Profile).length === 1) {
      // Accepted by that peer: say who it is, as any member does.
      this.send(from, { type: PeerMessageType.Profile, name: this.name });
    }
  }

  private onServerMessage(message: ServerMessage): void {
    if (message.type === ServerMessageType.PeerLeft) this.#mesh.remove(message.id);
    if (message.type !== ServerMessageType.Signal) return;
    const { from } = message;
    void this.#seal.open(from, message.data).then((opened) => {
      if (!opened.ok) return;
      const signals = this.#signals.get(from) ?? [];
      signals.push(opened.data);
      this.#signals.set(from, signals);
      this.#mesh.handleSignal(from, opened.data, true);
    });
  }
}
