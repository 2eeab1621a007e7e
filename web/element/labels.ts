/**
 * Every sentence <parley-chat> shows about the state of things: connection states, the room's
 * status line, and the delivery receipt under one's own messages. Plain functions of the room's
 * state, so the wording is tested apart from the rendering. Each takes the language's catalog
 * (i18n/), English by default.
 */
import type { AnnouncementWords } from './message-announcer.js';
import { RoomRefusal, type DeliverySummary, type LinkPath, type Participant, type RoomStatus } from '../room/room.js';
import { OUTBOX_MAX_AGE_MS } from '../room/delivery-tracker.js';
import { CloseCode, ErrorCode } from '../../protocol/signaling.js';
import { withName, type Messages } from './i18n/messages.js';
import { en } from './i18n/en.js';

export const PEER_STATE_LABEL = en.peerState;
export const PEER_PROBLEM_LABEL = en.peerProblem;
export const LINK_ROUTE_LABEL = en.linkRoute;
export const LINK_FAILURE_LABEL = en.linkFailure;

/** How a connection goes, in one line: "Relayed through TURN (tcp) · 12 ms round trip". */
export function linkPathLabel(path: LinkPath, m: Messages = en, locale = 'en'): string {
  const transport = path.route === 'relayed' && path.protocol !== 'udp' ? ` (${path.protocol})` : '';
  const digits = path.roundTripMs !== undefined && path.roundTripMs < 10 ? 1 : 0;
  const ms = path.roundTripMs === undefined ? undefined : path.roundTripMs.toLocaleString(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return `${m.linkRoute[path.route]}${transport}${ms === undefined ? '' : ` · ${m.roundTrip(ms)}`}`;
}

/** The name to show for a peer that has not told us its name yet. */
export const UNNAMED_PEER = en.unnamedPeer;

export function peerName(peer: Pick<Participant, 'name'>, m: Messages = en): string {
  return peer.name || m.unnamedPeer;
}

export interface PeerStatusLabel {
  text: string;
  /** For the dot's colour: ok (green), busy (amber), bad (red). */
  tone: 'ok' | 'busy' | 'bad';
}

/** The short line under a participant's name. */
export function peerStatusLabel(peer: Participant, m: Messages = en): PeerStatusLabel {
  if (peer.proof === 'refused' && peer.problem) return { text: m.peerProblem[peer.problem].short, tone: 'bad' };
  if (peer.identityChanged) return { text: withName(m.notTheVerified, peer.name), tone: 'bad' };
  if (peer.state !== 'connected' && peer.problem) return { text: m.peerProblem[peer.problem].short, tone: 'bad' };
  // Tampered data aimed at a working link was thrown away: the link is fine, but say it happened.
  if (peer.state === 'connected' && peer.problem === 'tampered-signaling') return { text: m.tamperedBlocked, tone: 'busy' };
  if (peer.state === 'connected') return { text: peer.verified ? m.verifiedConnected : m.peerState.connected, tone: 'ok' };
  if (peer.linkFailure) return { text: m.linkFailure[peer.linkFailure].short, tone: peer.state === 'failed' ? 'bad' : 'busy' };
  return { text: m.peerState[peer.state], tone: peer.state === 'failed' ? 'bad' : 'busy' };
}

/**
 * Why the room was refused, in the reader's language. English shows what the room or the server
 * said (it can be more precise); another language says what it knows of the code, or, for a code
 * it has no sentence for, what the server said.
 */
function refusalLabel(status: RoomStatus, m: Messages, site: string | undefined): string {
  if (m === en && status.detail) return status.detail;
  switch (status.code) {
    case RoomRefusal.BadRoomKey:
      return m.refusedBadRoomKey;
    case RoomRefusal.InsecureContext:
      return m.refusedInsecure;
    case RoomRefusal.OriginNotAllowed:
      return m.refusedOrigin(site ?? '');
    case ErrorCode.RoomFull:
    case CloseCode.RoomFull:
      return m.refusedRoomFull;
    case ErrorCode.UnsupportedVersion:
    case CloseCode.UnsupportedVersion:
      return m.refusedVersion;
    case CloseCode.Replaced:
      return m.openedElsewhere;
    default:
      return status.detail ?? m.refused;
  }
}

/**
 * The room's status line; `peerCount` is the number of other people, `connectedCount` how many of
 * them are connected (proven), `now` the Date.now() clock; `site` this page's origin, for a refusal.
 */
export function statusLabel(status: RoomStatus, peerCount: number, now: number, connectedCount = peerCount, m: Messages = en, site?: string): string {
  switch (status.phase) {
    case 'connecting':
      return m.statusConnecting;
    case 'joined':
      if (peerCount === 0) return m.statusAlone;
      return connectedCount === 0 ? m.statusConnectingToOthers : m.statusDirect;
    case 'reconnecting': {
      const seconds = status.retryAt === undefined ? 0 : Math.ceil((status.retryAt - now) / 1000);
      const retry = seconds > 0 ? m.retryingIn(seconds) : m.reconnectingNow;
      if (status.code === CloseCode.TryLater) return m.serverBusy(retry);
      return peerCount === 0 ? m.serverUnreachable(retry) : m.serverUnreachableChatGoesOn(retry);
    }
    case 'rejected':
      return refusalLabel(status, m, site);
    case 'closed':
      return m.left;
  }
}

export interface DeliveryLabel {
  text: string;
  state: 'pending' | 'done' | 'failed';
}

/** The receipt under one of our own messages; `nameOf` names a peer (undefined once it is gone). */
export function deliveryLabel(delivery: DeliverySummary, nameOf: (peerId: string) => string | undefined, m: Messages = en, locale = 'en'): DeliveryLabel {
  if (delivery.undeliverable.length > 0) {
    const first = delivery.undeliverable[0]!;
    const names = new Intl.ListFormat(locale, { type: 'unit' }).format(delivery.undeliverable.map(({ peerId }) => nameOf(peerId) ?? m.someoneWhoLeft));
    const reason = first.reason === 'too-old' ? m.undeliverableTooOld(OUTBOX_MAX_AGE_MS / 60_000) : m.undeliverableOutboxFull;
    return { text: m.notDeliveredTo(names, reason), state: 'failed' };
  }
  if (delivery.total === 0) return { text: m.nobodyYet, state: 'pending' };
  if (delivery.delivered === delivery.total) {
    return { text: delivery.total === 1 ? m.delivered : m.deliveredToAll(delivery.total), state: 'done' };
  }
  if (delivery.delivered === 0) return { text: m.sending, state: 'pending' };
  return { text: m.deliveredOf(delivery.delivered, delivery.total), state: 'pending' };
}

/** The lines a screen reader hears of new messages (message-announcer.ts), in the catalog's language. */
export function announcementWords(m: Messages = en): AnnouncementWords {
  return { one: m.announceOne, several: m.announceSeveral };
}
