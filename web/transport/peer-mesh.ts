/**
 * The full mesh of WebRTC data channels to the other members of a room, one simple-peer each.
 * The only module that imports simple-peer. Signals go out through the 'signal' event and come in
 * through handleSignal(); the mesh never talks to the signaling server itself.
 */
import SimplePeer, { type SimplePeerError } from '@thaunknown/simple-peer/lite.js';
import { Emitter } from '../emitter.js';
import type { IceServer, SignalData } from '../../signaling/protocol.js';

export type PeerConnectionState = 'connecting' | 'connected' | 'failed';

interface PeerMeshEvents {
  /** A signaling payload to deliver to `to` through the signaling server. */
  signal: { to: string; data: SignalData };
  state: { id: string; state: PeerConnectionState; error?: string };
  /** A text frame arrived on the data channel from `from` (not yet validated). */
  data: { from: string; data: unknown };
  /** The connection to `id` ended (closed by either side, or failed). */
  closed: { id: string };
}

interface PeerEntry {
  peer: SimplePeer;
  state: PeerConnectionState;
}

export class PeerMesh extends Emitter<PeerMeshEvents> {
  readonly #peers = new Map<string, PeerEntry>();
  #iceServers: RTCIceServer[] = [];

  /** ICE servers for connections created from now on (the server's list, never a library default). */
  setIceServers(iceServers: readonly IceServer[]): void {
    this.#iceServers = iceServers.map((server) => ({ ...server }));
  }

  /** Opens a connection to `id`, as the side that makes the offer. */
  connect(id: string): void {
    this.create(id, true);
  }

  /**
   * Feeds a signal from `from` into its connection. A first offer from an unknown member creates
   * the answering side; `isKnownMember` guards against signals from ids not in the room.
   */
  handleSignal(from: string, data: SignalData, isKnownMember: boolean): void {
    let entry = this.#peers.get(from);
    if (!entry) {
      if (!isKnownMember || data.type !== 'offer') return;
      entry = this.create(from, false);
    }
    try {
      entry.peer.signal(data);
    } catch (error) {
      // A malformed payload from the other side; simple-peer throws synchronously for some.
      entry.peer.destroy(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Sends a text frame to one connected peer; returns false if it is not connected. */
  send(id: string, frame: string): boolean {
    const entry = this.#peers.get(id);
    if (!entry || entry.state !== 'connected') return false;
    try {
      entry.peer.send(frame);
      return true;
    } catch {
      return false;
    }
  }

  /** Sends a text frame to every connected peer; returns the ids it went to. */
  broadcast(frame: string): string[] {
    const sentTo: string[] = [];
    for (const id of this.#peers.keys()) if (this.send(id, frame)) sentTo.push(id);
    return sentTo;
  }

  stateOf(id: string): PeerConnectionState | undefined {
    return this.#peers.get(id)?.state;
  }

  /** Closes the connection to one peer without emitting 'closed' (the caller already knows). */
  remove(id: string): void {
    const entry = this.#peers.get(id);
    if (!entry) return;
    this.#peers.delete(id);
    entry.peer.removeAllListeners();
    // simple-peer closes its RTCPeerConnection on a later timer; during pagehide there is no
    // later, so close it now and the other side sees its data channel close at once.
    entry.peer._pc?.close();
    entry.peer.destroy();
  }

  destroy(): void {
    for (const id of [...this.#peers.keys()]) this.remove(id);
    this.removeAllListeners();
  }

  private create(id: string, initiator: boolean): PeerEntry {
    this.remove(id);
    const peer = new SimplePeer({
      initiator,
      trickle: true,
      objectMode: true,
      // Always an explicit list: simple-peer's own default would contact public STUN servers.
      config: { iceServers: this.#iceServers },
    });
    const entry: PeerEntry = { peer, state: 'connecting' };
    this.#peers.set(id, entry);

    const isCurrent = (): boolean => this.#peers.get(id) === entry;
    peer.on('signal', (data) => {
      if (isCurrent()) this.emit('signal', { to: id, data });
    });
    peer.on('connect', () => {
      if (!isCurrent()) return;
      entry.state = 'connected';
      this.emit('state', { id, state: 'connected' });
    });
    peer.on('data', (data) => {
      if (isCurrent()) this.emit('data', { from: id, data });
    });
    // simple-peer destroys itself on every error and then may or may not emit 'close'; either
    // event ends this connection, whichever comes first.
    peer.on('error', (error: SimplePeerError) => {
      if (!isCurrent()) return;
      this.#peers.delete(id);
      entry.state = 'failed';
      this.emit('state', { id, state: 'failed', error: error.code ?? error.message });
      this.emit('closed', { id });
    });
    peer.on('close', () => {
      if (!isCurrent()) return;
      this.#peers.delete(id);
      this.emit('closed', { id });
    });
    this.emit('state', { id, state: 'connecting' });
    return entry;
  }
}
