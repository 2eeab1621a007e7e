/**
 * Every sentence <parley-chat> shows about the state of things: connection states, the room's
 * status line, and the delivery receipt under one's own messages. Plain functions of the room's
 * state, so the wording is tested apart from the rendering.
 */
import type { DeliverySummary, PeerConnectionState, RoomStatus } from '../room/room.js';
import { OUTBOX_MAX_AGE_MS } from '../room/delivery-tracker.js';

export const PEER_STATE_LABEL: Record<PeerConnectionState, string> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  failed: 'Connection failed',
};

const UNDELIVERABLE_REASON = {
  'too-old': `unreachable for over ${OUTBOX_MAX_AGE_MS / 60_000} minutes`,
  'outbox-full': 'too many messages waiting for them',
} as const;

/** The room's status line; `peerCount` is the number of other people, `now` the Date.now() clock. */
export function statusLabel(status: RoomStatus, peerCount: number, now: number): string {
  switch (status.phase) {
    case 'connecting':
      return 'Connecting to the signaling server…';
    case 'joined':
      return peerCount === 0 ? 'Connected · waiting for others to open the room link' : 'Connected · chat goes directly between browsers';
    case 'reconnecting': {
      const seconds = status.retryAt === undefined ? 0 : Math.ceil((status.retryAt - now) / 1000);
      const retry = seconds > 0 ? `retrying in ${seconds} s` : 'reconnecting…';
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
