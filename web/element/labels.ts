/**
 * Every sentence <parley-chat> shows about the state of things: connection states, the room's
 * status line, and the delivery receipt under one's own messages. Plain functions of the room's
 * state, so the wording is tested apart from the rendering.
 */
import type { AnnouncementWords } from './message-announcer.js';
import type { DeliverySummary, LinkFailure, LinkPath, LinkRoute, Participant, PeerConnectionState, PeerProblem, RoomStatus } from '../room/room.js';
import { OUTBOX_MAX_AGE_MS } from '../room/delivery-tracker.js';
import { CloseCode } from '../../protocol/signaling.js';

export const PEER_STATE_LABEL: Record<PeerConnectionState, string> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  failed: 'Connection failed',
};

/** What went wrong with a peer, in a few words (its row) and in a sentence (its details). */
export const PEER_PROBLEM_LABEL: Record<PeerProblem, { short: string; long: string }> = {
  'no-room-key': {
    short: 'Could not prove it has this room’s key',
    long: 'It could not prove it holds this room’s key, so Parley disconnected it. Someone who only knows the room’s address on the server cannot take part.',
  },
  'no-proof': {
    short: 'Could not prove it has this room’s key',
    long: 'It did not prove it holds this room’s key in time, so Parley disconnected it.',
  },
  'no-fingerprint': {
    short: 'Could not prove it has this room’s key',
    long: 'Its connection carried no certificate to prove anything with, so Parley disconnected it.',
  },
  'wrong-id': {
    short: 'Claimed an identity that is not its own',
    long: 'It answered for someone else’s identity without that person’s key, so Parley disconnected it.',
  },
  'bad-signature': {
    short: 'Could not prove who it is',
    long: 'Its signature did not match its identity, so Parley disconnected it.',
  },
  'tampered-signaling': {
    short: 'Connection data was tampered with',
    long: 'Connection data for this person was changed, replayed or redirected on the way (by the server or the network) and was thrown away. Messages cannot be faked this way, but the connection may fail.',
  },
};

export const LINK_ROUTE_LABEL: Record<LinkRoute, string> = {
  'local-network': 'Direct on the local network',
  'through-nat': 'Direct through NAT',
  relayed: 'Relayed through TURN',
};

/** Why no path was found, in a few words (the row) and in plain sentences (the details). */
export const LINK_FAILURE_LABEL: Record<LinkFailure, { short: string; long: string }> = {
  'no-ice-servers': {
    short: 'No path between your networks',
    long: 'No direct path was found, and this server offers no STUN or TURN server, so only people on the same network can connect.',
  },
  'no-turn': {
    short: 'No direct path · no TURN server',
    long: 'No direct path was found through the routers between you, and no TURN server is configured; people on strict networks need one.',
  },
  'turn-refused': {
    short: 'TURN refused the credentials',
    long: 'No direct path was found, and the TURN server refused the credentials (expired, or not made with its secret).',
  },
  'turn-unreachable': {
    short: 'TURN server unreachable',
    long: 'No direct path was found, and the TURN server could not be reached from this network.',
  },
  'no-path': {
    short: 'No path, even relayed',
    long: 'No path was found, not even through the TURN server. The other person’s network may block it.',
  },
};

/** How a connection goes, in one line: "Relayed through TURN (tcp) · 12 ms round trip". */
export function linkPathLabel(path: LinkPath): string {
  const transport = path.route === 'relayed' && path.protocol !== 'udp' ? ` (${path.protocol})` : '';
  // A no-break space keeps the figure and its unit on one line.
  const roundTrip = path.roundTripMs === undefined ? '' : ` · ${path.roundTripMs < 10 ? path.roundTripMs.toFixed(1) : Math.round(path.roundTripMs)}\u00a0ms round trip`;
  return `${LINK_ROUTE_LABEL[path.route]}${transport}${roundTrip}`;
}

/** The name to show for a peer that has not told us its name yet. */
export const UNNAMED_PEER = 'Someone joining';

export function peerName(peer: Pick<Participant, 'name'>): string {
  return peer.name || UNNAMED_PEER;
}

export interface PeerStatusLabel {
  text: string;
  /** For the dot's colour: ok (green), busy (amber), bad (red). */
  tone: 'ok' | 'busy' | 'bad';
}

/** The short line under a participant's name. */
export function peerStatusLabel(peer: Participant): PeerStatusLabel {
  if (peer.proof === 'refused' && peer.problem) return { text: PEER_PROBLEM_LABEL[peer.problem].short, tone: 'bad' };
  if (peer.identityChanged) return { text: `Not the ${peer.name} you verified`, tone: 'bad' };
  if (peer.state !== 'connected' && peer.problem) return { text: PEER_PROBLEM_LABEL[peer.problem].short, tone: 'bad' };
  // Tampered data aimed at a working link was thrown away: the link is fine, but say it happened.
  if (peer.state === 'connected' && peer.problem === 'tampered-signaling') return { text: 'Connected · tampered data blocked', tone: 'busy' };
  if (peer.state === 'connected') return { text: peer.verified ? 'Verified · connected' : 'Connected', tone: 'ok' };
  if (peer.linkFailure) return { text: LINK_FAILURE_LABEL[peer.linkFailure].short, tone: peer.state === 'failed' ? 'bad' : 'busy' };
  return { text: PEER_STATE_LABEL[peer.state], tone: peer.state === 'failed' ? 'bad' : 'busy' };
}

const UNDELIVERABLE_REASON = {
  'too-old': `unreachable for over ${OUTBOX_MAX_AGE_MS / 60_000} minutes`,
  'outbox-full': 'too many messages waiting for them',
} as const;

/**
 * The room's status line; `peerCount` is the number of other people, `connectedCount` how many of
 * them are connected (proven), `now` the Date.now() clock.
 */
export function statusLabel(status: RoomStatus, peerCount: number, now: number, connectedCount = peerCount): string {
  switch (status.phase) {
    case 'connecting':
      return 'Connecting to the signaling server…';
    case 'joined':
      if (peerCount === 0) return 'Connected · waiting for others to open the room link';
      return connectedCount === 0 ? 'Connected to the server · connecting to the others directly…' : 'Connected · chat goes directly between browsers';
    case 'reconnecting': {
      const seconds = status.retryAt === undefined ? 0 : Math.ceil((status.retryAt - now) / 1000);
      const retry = seconds > 0 ? `retrying in ${seconds} s` : 'reconnecting…';
      if (status.code === CloseCode.TryLater) return `The signaling server is busy · ${retry}`;
      return peerCount === 0
        ? `Signaling server unreachable · ${retry}`
        : `Signaling server unreachable · ${retry} · chat continues with the people already connected`;
    }
    case 'rejected':
      return status.detail ?? 'The server refused to let you join this room.';
    case 'closed':
      return 'You left this room.';
  }
}

export interface DeliveryLabel {
  text: string;
  state: 'pending' | 'done' | 'failed';
}

/** The receipt under one of our own messages; `nameOf` names a peer (undefined once it is gone). */
export function deliveryLabel(delivery: DeliverySummary, nameOf: (peerId: string) => string | undefined): DeliveryLabel {
  if (delivery.undeliverable.length > 0) {
    const first = delivery.undeliverable[0]!;
    const names = delivery.undeliverable.map(({ peerId }) => nameOf(peerId) ?? 'someone who left').join(', ');
    return { text: `Not delivered to ${names}: ${UNDELIVERABLE_REASON[first.reason]}`, state: 'failed' };
  }
  if (delivery.total === 0) return { text: 'Nobody else is here yet · people who join will see it', state: 'pending' };
  if (delivery.delivered === delivery.total) {
    return { text: delivery.total === 1 ? 'Delivered' : `Delivered to all ${delivery.total}`, state: 'done' };
  }
  if (delivery.delivered === 0) return { text: 'Sending…', state: 'pending' };
  return { text: `Delivered to ${delivery.delivered} of ${delivery.total}`, state: 'pending' };
}

/** The lines a screen reader hears of new messages (message-announcer.ts). */
export const ANNOUNCEMENT_WORDS: AnnouncementWords = {
  one: (author, text) => `${author}: ${text}`,
  several: (count, author, text) => `${count} new messages. ${author}: ${text}`,
};
