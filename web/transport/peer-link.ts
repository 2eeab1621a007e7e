/**
 * The seam between the peer mesh and a WebRTC implementation: one connection to one peer, as the
 * mesh needs it. The browser uses simple-peer (simple-peer-link.ts); a unit test passes a fake.
 */
import type { SignalData } from '../../protocol/signaling.js';
import type { ChannelFrame, WritableChannel } from './channel-writer.js';
import type { ConnectionFingerprints } from './sdp-fingerprint.js';
import type { LinkObservations, LinkPath } from './link-diagnosis.js';

export interface PeerLinkOptions {
  /** This side makes the offer (and creates the data channel). */
  initiator: boolean;
  /** Always an explicit list: an implementation's own default could contact public STUN servers. */
  iceServers: RTCIceServer[];
}

/** What a connection reports; each handler is called only while the link is open (not closed). */
export interface PeerLinkHandlers {
  /** A signaling payload to deliver to the other side. */
  signal(data: SignalData): void;
  /**
   * The data channel is open; frames are written to it directly (see ChannelWriter). The
   * fingerprints are the DTLS certificates' as this connection applied them (undefined if the
   * descriptions carry none: such a link cannot prove anything and is refused by the room).
   */
  channelOpen(channel: WritableChannel<ChannelFrame>, fingerprints: ConnectionFingerprints | undefined): void;
  /** A text frame arrived on the data channel (not yet validated). */
  data(data: unknown): void;
  /** A binary frame arrived on the data channel (a file chunk, not yet validated). */
  binary(data: ArrayBuffer): void;
  /** The connection's ICE state changed ('checking', 'connected', 'disconnected', …). */
  iceStateChange(state: RTCIceConnectionState): void;
  /** The connection ended by itself (the other side closed, or it failed: `error` says why). */
  end(error?: string): void;
}

export interface PeerLink {
  /** Feeds in a payload from the other side. A payload the connection cannot use ends it. */
  signal(data: SignalData): void;
  /** Closes the connection at once; no handler is called after this. */
  close(): void;
  /** The path the connection takes now (its selected candidate pair), if it has one. */
  path?(): Promise<LinkPath | undefined>;
  /** What the connection's ICE agent saw so far: candidate kinds gathered, server errors. */
  observations?(): LinkObservations;
}

export type PeerLinkFactory = (options: PeerLinkOptions, handlers: PeerLinkHandlers) => PeerLink;
