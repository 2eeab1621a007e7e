/**
 * The full mesh of WebRTC data channels to the other members of a room, one simple-peer each.
 * The only module that imports simple-peer. Signals go out through the 'signal' event and come in
 * through handleSignal(); the mesh never talks to the signaling server itself.
 *
 * Offer collisions: when both sides offer at once, the side with the smaller peer id keeps its own
 * offer and ignores the other's; the other side drops its offer and answers. So any two peers
 * always end up with one connection, whoever started.
 */
import SimplePeer, { type SimplePeerError } from '@thaunknown/simple-peer/lite.js';
import { Emitter } from '../emitter.js';
import { ChannelWriter } from './channel-writer.js';
import type { IceServer, SignalData } from '../../protocol/signaling.js';

/** 'unstable': the connection exists but ICE lost its path; it may recover by itself. */
export type LinkState = 'connecting' | 'connected' | 'unstable';

/** How long ICE may stay 'disconnected' before the connection is given up and rebuilt. */
export const ICE_DISCONNECTED_GRACE_MS = 4000;

/** A connection that has not opened by then (a lost offer, no route) is given up and rebuilt. */
export const CONNECT_TIMEOUT_MS = 15_000;

interface PeerMeshEvents {
  /** A signaling payload to deliver to `to` through the signaling server. */
  signal: { to: string; data: SignalData };
  state: { id: string; state: LinkState };
  /** The data channel to `id` opened. */
  open: { id: string };
  /** A text frame arrived on the data channel from `from` (not yet validated). */
  data: { from: string; data: unknown };
  /** The connection to `id` ended (closed by either side, failed, or given up). */
  closed: { id: string; error?: string };
}

interface PeerEntry {
  peer: SimplePeer;
  state: LinkState;
  initiator: boolean;
  /** Set once the data channel is open. */
  writer?: ChannelWriter;
  /** The ICE grace period or the connect timeout, whichever is running. */
  timer?: ReturnType<typeof setTimeout>;
}

export class PeerMesh extends Emitter<PeerMeshEvents> {
  readonly #peers = new Map<string, PeerEntry>();
  #iceServers: RTCIceServer[] = [];

  constructor(private readonly selfId: () => string) {
    super();
  }

  /** ICE servers for connections created from now on (the server's list, never a library default). */
  setIceServers(iceServers: readonly IceServer[]): void {
    this.#iceServers = iceServers.map((server) => ({ ...server }));
  }

  /** Opens a connection to `id` as the side that makes the offer, replacing any existing one. */
  connect(id: string): void {
    this.create(id, true);
  }

  /**
   * Feeds a signal from `from` into its connection. An offer from a known member creates (or
   * re-creates) the answering side, subject to the collision rule above.
   */
  handleSignal(from: string, data: SignalData, isKnownMember: boolean): void {
    let entry = this.#peers.get(from);
    if (data.type === 'offer') {
      if (!isKnownMember) return;
      const collision = entry?.initiator === true && entry.state !== 'connected';
      if (collision && this.selfId() < from) return; // our offer wins; theirs is dropped
      // No connection, a working one the other side restarted, or a collision we yield on.
      entry = this.create(from, false);
    }
    if (!entry) return;
    try {
      entry.peer.signal(data);
    } catch (error) {
      // A malformed payload from the other side; simple-peer throws synchronously for some.
      entry.peer.destroy(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /**
   * Sends a text frame to one connected peer, in order with the frames before it; returns false if
   * it is not connected. A burst beyond the channel's buffer waits its turn (see ChannelWriter).
   */
  send(id: string, frame: string): boolean {
    const writer = this.#peers.get(id)?.writer;
    if (!writer) return false;
    writer.write(frame);
    return true;
  }

  stateOf(id: string): LinkState | undefined {
    return this.#peers.get(id)?.state;
  }

  isConnected(id: string): boolean {
    const state = this.#peers.get(id)?.state;
    return state === 'connected' || state === 'unstable';
  }

  /** Closes the connection to one peer without emitting 'closed' (the caller already knows). */
  remove(id: string): void {
    const entry = this.#peers.get(id);
    if (!entry) return;
    this.#peers.delete(id);
    clearTimeout(entry.timer);
    entry.writer?.close();
    entry.peer.removeAllListeners();
    // Its channel may still report the abort that closing causes: nobody is listening any more.
    entry.peer.on('error', () => undefined);
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
    const entry: PeerEntry = { peer, state: 'connecting', initiator };
    this.#peers.set(id, entry);

    const isCurrent = (): boolean => this.#peers.get(id) === entry;
    const setState = (state: LinkState): void => {
      if (entry.state === state) return;
      entry.state = state;
      this.emit('state', { id, state });
    };
    const end = (error?: string): void => {
      if (!isCurrent()) return;
      this.remove(id);
      this.emit('closed', error === undefined ? { id } : { id, error });
    };

    peer.on('signal', (data) => {
      if (isCurrent()) this.emit('signal', { to: id, data });
    });
    entry.timer = setTimeout(() => end('connect-timeout'), CONNECT_TIMEOUT_MS);
    const opened = (channel: RTCDataChannel): void => {
      if (!isCurrent() || entry.writer) return;
      clearTimeout(entry.timer);
      entry.timer = undefined;
      entry.writer = new ChannelWriter(channel, () => end('ERR_DATA_CHANNEL'));
      setState('connected');
      this.emit('open', { id });
    };
    // The link is usable once its data channel is open. simple-peer's own 'connect' comes later:
    // it first looks up the selected candidate pair in a getStats() pass (tens of milliseconds on a
    // busy page, tried again every 100 ms until a pair is selected), which Parley has no use for.
    // The initiator's channel exists from the start; the answerer's arrives with 'datachannel'.
    // These listeners are not removed: they die with the connection, and isCurrent() guards them.
    const watch = (channel: RTCDataChannel): void => {
      if (channel.readyState === 'open') opened(channel);
      else channel.addEventListener('open', () => opened(channel), { once: true });
    };
    if (peer._channel) watch(peer._channel);
    else peer._pc?.addEventListener('datachannel', (event) => watch(event.channel), { once: true });
    peer.on('connect', () => {
      if (peer._channel) opened(peer._channel);
    });
    peer.on('data', (data) => {
      if (isCurrent()) this.emit('data', { from: id, data });
    });
    peer.on('iceStateChange', (iceState) => {
      if (!isCurrent() || entry.state === 'connecting') return;
      if (iceState === 'disconnected') {
        setState('unstable');
        // ICE often recovers from a short loss by itself; past the grace period, rebuild.
        entry.timer ??= setTimeout(() => end('ice-disconnected'), ICE_DISCONNECTED_GRACE_MS);
      } else if (iceState === 'connected' || iceState === 'completed') {
        clearTimeout(entry.timer);
        entry.timer = undefined;
        setState('connected');
      }
    });
    // simple-peer destroys itself on every error and then may or may not emit 'close'; either
    // event ends this connection, whichever comes first.
    peer.on('error', (error: SimplePeerError) => end(error.code ?? error.message));
    peer.on('close', () => end());
    this.emit('state', { id, state: 'connecting' });
    return entry;
  }
}
