import { describe, expect, it } from 'vitest';
import { DeliveryTracker, LEFT_RECIPIENT_GRACE_MS, OUTBOX_MAX_AGE_MS, OUTBOX_MAX_MESSAGES } from '../../../web/room/delivery-tracker.js';

describe('DeliveryTracker', () => {
  it('counts confirmations against the recipients', () => {
    const tracker = new DeliveryTracker();
    tracker.track('m1', ['bob', 'cy'], 0);
    expect(tracker.summary('m1')).toEqual({ delivered: 0, total: 2, undeliverable: [] });
    expect(tracker.confirm('bob', ['m1'])).toEqual(['m1']);
    expect(tracker.confirm('bob', ['m1'])).toEqual([]);
    expect(tracker.summary('m1')).toMatchObject({ delivered: 1, total: 2 });
    expect(tracker.outboxFor('bob')).toEqual([]);
    expect(tracker.outboxFor('cy')).toEqual(['m1']);
  });

  it('counts a late joiner that confirms through history', () => {
    const tracker = new DeliveryTracker();
    tracker.track('m1', [], 0);
    expect(tracker.summary('m1')).toMatchObject({ delivered: 0, total: 0 });
    tracker.confirm('dee', ['m1']);
    expect(tracker.summary('m1')).toMatchObject({ delivered: 1, total: 1 });
  });

  it('keeps an outbox in order and bounds it by count', () => {
    const tracker = new DeliveryTracker();
    for (let index = 1; index <= OUTBOX_MAX_MESSAGES + 2; index += 1) tracker.track(`m${index}`, ['bob'], index);
    expect(tracker.outboxFor('bob')).toHaveLength(OUTBOX_MAX_MESSAGES);
    expect(tracker.outboxFor('bob')[0]).toBe('m3');
    expect(tracker.summary('m1')?.undeliverable).toEqual([{ peerId: 'bob', reason: 'outbox-full' }]);
    // A late confirmation still counts, and clears the mark.
    tracker.confirm('bob', ['m1']);
    expect(tracker.summary('m1')).toEqual({ delivered: 1, total: 1, undeliverable: [] });
  });

  it('gives up on messages older than the age bound', () => {
    const tracker = new DeliveryTracker();
    tracker.track('old', ['bob'], 0);
    tracker.track('new', ['bob'], OUTBOX_MAX_AGE_MS);
    expect(tracker.sweep(OUTBOX_MAX_AGE_MS + 1)).toEqual(['old']);
    expect(tracker.summary('old')?.undeliverable).toEqual([{ peerId: 'bob', reason: 'too-old' }]);
    expect(tracker.outboxFor('bob')).toEqual(['new']);
  });

  it('stops counting a recipient that left, after a grace period for reloads', () => {
    const tracker = new DeliveryTracker();
    tracker.track('m1', ['bob', 'cy'], 0);
    tracker.confirm('cy', ['m1']);
    tracker.peerLeft('bob', 1000);
    expect(tracker.sweep(1000 + LEFT_RECIPIENT_GRACE_MS - 1)).toEqual([]);
    tracker.peerPresent('bob');
    tracker.peerLeft('bob', 5000);
    expect(tracker.sweep(5000 + LEFT_RECIPIENT_GRACE_MS)).toEqual(['m1']);
    expect(tracker.summary('m1')).toEqual({ delivered: 1, total: 1, undeliverable: [] });
    expect(tracker.outboxFor('bob')).toEqual([]);
  });
});
