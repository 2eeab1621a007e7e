// The words <parley-chat> shows for receipts, connection states and the room's status.
import { describe, expect, it } from 'vitest';
import { deliveryLabel, PEER_STATE_LABEL, statusLabel } from '../../../web/element/labels.js';
import { OUTBOX_MAX_AGE_MS } from '../../../web/room/delivery-tracker.js';

const names: Record<string, string> = { ada: 'Ada', bob: 'Bob' };
const nameOf = (id: string): string | undefined => names[id];

describe('receipt under one of our messages', () => {
  it.each([
    [{ delivered: 0, total: 0 }, 'Nobody else is here yet · people who join will see it', 'pending'],
    [{ delivered: 0, total: 3 }, 'Sending…', 'pending'],
    [{ delivered: 2, total: 3 }, 'Delivered to 2 of 3', 'pending'],
    [{ delivered: 1, total: 1 }, 'Delivered', 'done'],
    [{ delivered: 3, total: 3 }, 'Delivered to all 3', 'done'],
  ])('%o reads "%s"', (counts, text, state) => {
    expect(deliveryLabel({ ...counts, undeliverable: [] }, nameOf)).toEqual({ text, state });
  });

  it('names who a message could not reach, and why', () => {
    expect(deliveryLabel({ delivered: 1, total: 3, undeliverable: [{ peerId: 'ada', reason: 'too-old' }] }, nameOf)).toEqual({
      text: `Not delivered to Ada: unreachable for over ${OUTBOX_MAX_AGE_MS / 60_000} minutes`,
      state: 'failed',
    });
    expect(
      deliveryLabel(
        {
          delivered: 0,
          total: 2,
          undeliverable: [
            { peerId: 'bob', reason: 'outbox-full' },
            { peerId: 'gone', reason: 'outbox-full' },
          ],
        },
        nameOf,
      ).text,
    ).toBe('Not delivered to Bob, someone who left: too many messages waiting for them');
  });
});

describe('status line', () => {
  const now = 1_000_000;
  it.each([
    [{ phase: 'connecting' }, 0, 'Connecting to the signaling server…'],
    [{ phase: 'joined' }, 0, 'Connected · waiting for others to open the room link'],
    [{ phase: 'joined' }, 2, 'Connected · chat goes directly between browsers'],
    [{ phase: 'reconnecting', retryAt: now + 2500 }, 0, 'Signaling server unreachable · retrying in 3 s'],
    [{ phase: 'reconnecting' }, 1, 'Signaling server unreachable · reconnecting… · chat continues with the people already connected'],
    [{ phase: 'reconnecting', retryAt: now - 10 }, 0, 'Signaling server unreachable · reconnecting…'],
    [{ phase: 'rejected', detail: 'This room is full.' }, 0, 'This room is full.'],
    [{ phase: 'rejected' }, 0, 'The server refused to let you join this room.'],
    [{ phase: 'closed' }, 0, 'You left this room.'],
  ] as const)('%o with %i others reads "%s"', (status, peers, text) => {
    expect(statusLabel(status, peers, now)).toBe(text);
  });

  it('has a word for every connection state', () => {
    expect(Object.values(PEER_STATE_LABEL)).toEqual(['Connecting…', 'Connected', 'Reconnecting…', 'Connection failed']);
  });
});
