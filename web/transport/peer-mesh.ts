/**
 * The full mesh of WebRTC data channels to the other members of a room, one PeerLink each (made
 * by the factory it is given: simple-peer in the browser, a fake in unit tests). Signals go out
 * through the 'signal' event and come in through handleSignal(); the mesh never talks to the
 * signaling server itself.
 *
 * Offer collisions: when both sides offer at once, the side with the smaller peer id keeps its own
 * offer and ignores the other's; the other side drops its offer and answers. So any two peers
 * always end up with one connection, whoever started. An offer of ours still unanswered after
 * STALE_OFFER_MS was most likely lost on the way (or dropped by the server): then we answer theirs
 * instead of waiting for the connect timeout.
 */
import { Emitter } from '../shared/emitter.js';
import { systemClock, type Clock, type TimerHandle } from '../shared/clock.js';
import { ChannelWriter } from './channel-writer.js';
import type { PeerLink, PeerLinkFactory } from './peer-link.js';
import type { ConnectionFingerprints } from './sdp-fingerprint.js';
import type { IceServer, SignalData } from '../../protocol/signaling.js';
import { diagnoseFailure, type LinkFailure, type LinkPath } from './link-diagnosis.js';

/** 'unstable': the connection exists but ICE lost its path; it may recover by itself. */
export type LinkState = 'connecting' | 'connected' | 'unstable';

/** How long ICE may stay 'disconnected' before the connection is given up and rebuilt. */
export const ICE_DISCONNECTED_GRACE_MS = 4000;

/** A connection that has not opened by then (a lost offer, no route) is given up and rebuilt. */
export const CONNECT_TIMEOUT_MS = 15_000;

/**
 * Frames that arrive before the link reports its channel open (the offering side reports it only
 * once the answer is applied) wait, up to this many, and follow the 'open' event in order.
 */
export const MAX_EARLY_FRAMES = 64;

/** An offer of ours this old when theirs arrives has most likely been lost: theirs is taken. */
export const STALE_OFFER_MS = 1500;

interface PeerMeshEvents {
  /** A signaling payload to deliver to `to` through the signaling server. */
  signal: { to: string; data: SignalData };
  state: { id: string; state: LinkState };
  /** The data channel to `id` opened; `fingerprints` are its DTLS certificates' (see PeerLinkHandlers). */
  open: { id: string; fingerprints: ConnectionFingerprints | undefined };
  /** A text frame arrived on the data channel from `from` (not yet validated). */
  data: { from: string; data: unknown };
  /**
   * A binary frame (a file chunk) arrived from `from`, not yet validated. Only once its channel
   * is open: bytes before that are dropped (nothing sends any before the proofs).
   */
  binary: { from: string; data: ArrayBuffer };
  /**
   * The connection to `id` ended (closed by either side, failed, or given up). `failure`: it never
   * opened because no path worked, and why (see LinkFailure).
   */
  closed: { id: string; error?: string; failure?: LinkFailure };
}

export interface PeerMeshOptions {
  /** This participant's peer id (the collision rule compares it). */
  selfId: string;
  createLink: PeerLinkFactory;
  clock?: Clock;
}

interface PeerEntry {
  link: PeerLink;
  state: LinkState;
  initiator: boolean;
  /** When the link was made (clock.now()). */
  createdAt: number;
  /** Set once the data channel is open. */
  writer?: ChannelWriter;
  /** Frames that came before the channel was reported open (see MAX_EARLY_FRAMES). */
  early?: unknown[];
  /** The ICE grace period or the connect timeout, whichever is running. */
  timer?: TimerHandle;
}

/** Ends of a link that never opened because ICE found no working path (simple-peer's codes, and ours). */
const NO_PATH_ERRORS: readonly string[] = ['connect-timeout', 'ERR_ICE_CONNECTION_FAILURE', 'ERR_CONNECTION_FAILURE'];

/** Stands in while a link is being made. */
const NO_LINK: PeerLink = { signal: () => undefined, close: () => undefined };

export class PeerMesh extends Emitter<PeerMeshEvents> {
  readonly #peers = new Map<string, PeerEntry>();
  readonly #selfId: string;
  readonly #createLink: PeerLinkFactory;
  readonly #clock: Clock;
  #iceServers: RTCIceServer[] = [];

  constructor({ selfId, createLink, clock = systemClock }: PeerMeshOptions) {
    super();
    this.#selfId = selfId;
    this.#createLink = createLink;
    this.#clock = clock;
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
      const ourOfferIsFresh = entry !== undefined && this.#clock.now() - entry.createdAt < STALE_OFFER_MS;
      if (collision && this.#selfId < from && ourOfferIsFresh) return; // our offer wins; theirs is dropped
      // No connection, a working one the other side restarted, or a collision we yield on.
      entry = this.create(from, false);
    }
    entry?.link.signal(data);
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

  /**
   * Sends a binary frame (a file chunk) to one connected peer, in order with its other frames;
   * false if it is not connected. Chunks are meant to be written only while bufferedAmount() is
   * low (see drained()), so they never wait in the writer's queue ahead of text. The bytes are
   * sent or copied before it returns: the caller may reuse its buffer.
   */
  sendBinary(id: string, bytes: Uint8Array): boolean {
    const writer = this.#peers.get(id)?.writer;
    if (!writer) return false;
    // A view of a shared or larger buffer is copied: the channel sends exactly these bytes.
    writer.write(bytes.buffer instanceof ArrayBuffer && bytes.byteLength === bytes.buffer.byteLength ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes));
    return true;
  }

  /** Bytes waiting to go out to `id` (its channel's buffer and the writer's queue); undefined if it is not connected. */
  bufferedAmount(id: string): number | undefined {
    return this.#peers.get(id)?.writer?.bufferedAmount;
  }

  /**
   * Resolves once at most `below` bytes wait to go out to `id` (see ChannelWriter.drained); at
   * once if it is not connected, so a caller finds that out from its next send.
   */
  drained(id: string, below: number): Promise<void> {
    return this.#peers.get(id)?.writer?.drained(below) ?? Promise.resolve();
  }

  stateOf(id: string): LinkState | undefined {
    return this.#peers.get(id)?.state;
  }

  /** The path the connection to `id` takes now, if it is open and the browser says. */
  async path(id: string): Promise<LinkPath | undefined> {
    return this.#peers.get(id)?.link.path?.();
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
    this.#clock.clearTimeout(entry.timer);
    entry.writer?.close();
    entry.link.close();
  }

  destroy(): void {
    for (const id of [...this.#peers.keys()]) this.remove(id);
    this.removeAllListeners();
  }

  private create(id: string, initiator: boolean): PeerEntry {
    this.remove(id);
    const clock = this.#clock;
    const isCurrent = (): boolean => this.#peers.get(id) === entry;
    const setState = (state: LinkState): void => {
      if (entry.state === state) return;
      entry.state = state;
      this.emit('state', { id, state });
    };
    const iceServers = this.#iceServers;
    const end = (error?: string): void => {
      if (!isCurrent()) return;
      const observations = NO_PATH_ERRORS.includes(error ?? '') && !entry.writer ? entry.link.observations?.() : undefined;
      this.remove(id);
      if (error === undefined) this.emit('closed', { id });
      else if (observations) this.emit('closed', { id, error, failure: diagnoseFailure(iceServers, observations) });
      else this.emit('closed', { id, error });
    };
    const stopTimer = (): void => {
      clock.clearTimeout(entry.timer);
      entry.timer = undefined;
    };

    // In the map before the link exists, so a handler the factory calls at once finds it current.
    const entry: PeerEntry = { link: NO_LINK, state: 'connecting', initiator, createdAt: clock.now() };
    this.#peers.set(id, entry);
    entry.timer = clock.setTimeout(() => end('connect-timeout'), CONNECT_TIMEOUT_MS);
    entry.link = this.#createLink(
      { initiator, iceServers: this.#iceServers },
      {
        signal: (data) => {
          if (isCurrent()) this.emit('signal', { to: id, data });
        },
        channelOpen: (channel, fingerprints) => {
          if (!isCurrent() || entry.writer) return;
          stopTimer();
          entry.writer = new ChannelWriter(channel, () => end('ERR_DATA_CHANNEL'));
          // 'open' first: whoever checks the new connection (the room's proof) starts on it before
          // anyone hears it is connected.
          this.emit('open', { id, fingerprints });
          setState('connected');
          const early = entry.early ?? [];
          entry.early = undefined;
          for (const data of early) if (isCurrent()) this.emit('data', { from: id, data });
        },
        data: (data) => {
          if (!isCurrent()) return;
          if (entry.writer) this.emit('data', { from: id, data });
          else if ((entry.early ??= []).length < MAX_EARLY_FRAMES) entry.early.push(data);
        },
        binary: (data) => {
          if (isCurrent() && entry.writer) this.emit('binary', { from: id, data });
        },
        iceStateChange: (iceState) => {
          if (!isCurrent() || entry.state === 'connecting') return;
          if (iceState === 'disconnected') {
            setState('unstable');
            // ICE often recovers from a short loss by itself; past the grace period, rebuild.
            entry.timer ??= clock.setTimeout(() => end('ice-disconnected'), ICE_DISCONNECTED_GRACE_MS);
          } else if (iceState === 'connected' || iceState === 'completed') {
            stopTimer();
            setState('connected');
          }
        },
        end,
      },
    );
    this.emit('state', { id, state: 'connecting' });
    return entry;
  }
}
