/**
 * Delivery receipts and the per-peer outbox for this participant's own messages. A message's
 * recipients are the peers in the room when it was sent, plus anyone who later confirms having it;
 * a peer confirms with an ack, or by sending history that contains it. What a peer has not
 * confirmed is its outbox: re-sent when its connection opens again, within a bound of count and
 * age. Past the bound the message is marked undeliverable to that peer, which the UI shows.
 */

/** Most unconfirmed messages kept for one peer; older ones are given up (marked undeliverable). */
export const OUTBOX_MAX_MESSAGES = 200;
/** Longest an unconfirmed message is kept for a peer that is still in the room. */
export const OUTBOX_MAX_AGE_MS = 10 * 60 * 1000;
/** A recipient that left the room is waited for this long (a reload, a reconnect) before it stops counting. */
export const LEFT_RECIPIENT_GRACE_MS = 30 * 1000;

export type UndeliverableReason = 'outbox-full' | 'too-old';

export interface DeliverySummary {
  /** Peers known to have the message. */
  delivered: number;
  /** Peers that should have it: those present when it was sent, and any who confirmed it since. */
  total: number;
  /** Peers it was given up on, with why. */
  undeliverable: { peerId: string; reason: UndeliverableReason }[];
}

interface Record {
  readonly createdAt: number;
  readonly recipients: Set<string>;
  readonly delivered: Set<string>;
  readonly undeliverable: Map<string, UndeliverableReason>;
}

export class DeliveryTracker {
  readonly #records = new Map<string, Record>();
  /** Per peer: its unconfirmed message ids, oldest first. */
  readonly #outboxes = new Map<string, string[]>();
  /** Peers that left the room, and when. */
  readonly #leftAt = new Map<string, number>();

  /** Starts tracking a message sent now to `recipients`. */
  track(messageId: string, recipients: Iterable<string>, now: number): string[] {
    const record: Record = { createdAt: now, recipients: new Set(recipients), delivered: new Set(), undeliverable: new Map() };
    this.#records.set(messageId, record);
    const changed: string[] = [];
    for (const peerId of record.recipients) {
      const outbox = this.#outboxes.get(peerId) ?? [];
      outbox.push(messageId);
      this.#outboxes.set(peerId, outbox);
      // Bounded per peer: the oldest unconfirmed message is given up first.
      while (outbox.length > OUTBOX_MAX_MESSAGES) {
        const oldest = outbox.shift()!;
        this.#records.get(oldest)?.undeliverable.set(peerId, 'outbox-full');
        changed.push(oldest);
      }
    }
    return changed;
  }

  /** `peerId` has these messages. Returns the ids whose summary changed. */
  confirm(peerId: string, messageIds: Iterable<string>): string[] {
    const changed: string[] = [];
    for (const id of messageIds) {
      const record = this.#records.get(id);
      if (!record || record.delivered.has(peerId)) continue;
      record.recipients.add(peerId);
      record.delivered.add(peerId);
      record.undeliverable.delete(peerId);
      changed.push(id);
    }
    if (changed.length > 0) {
      const outbox = this.#outboxes.get(peerId);
      if (outbox) {
        const confirmed = new Set(changed);
        const remaining = outbox.filter((id) => !confirmed.has(id));
        if (remaining.length > 0) this.#outboxes.set(peerId, remaining);
        else this.#outboxes.delete(peerId);
      }
    }
    return changed;
  }

  /** What to re-send to `peerId` when its connection opens: unconfirmed ids, oldest first. */
  outboxFor(peerId: string): readonly string[] {
    return this.#outboxes.get(peerId) ?? [];
  }

  peerLeft(peerId: string, now: number): void {
    if (this.#outboxes.has(peerId)) this.#leftAt.set(peerId, now);
  }

  peerPresent(peerId: string): void {
    this.#leftAt.delete(peerId);
  }

  /**
   * Applies the time bounds: gives up messages older than OUTBOX_MAX_AGE_MS for present peers,
   * and stops counting recipients that left more than LEFT_RECIPIENT_GRACE_MS ago (they chose to
   * leave; history still reaches them if they return). Returns the ids whose summary changed.
   */
  sweep(now: number): string[] {
    const changed = new Set<string>();
    for (const [peerId, leftAt] of this.#leftAt) {
      if (now - leftAt < LEFT_RECIPIENT_GRACE_MS) continue;
      this.#leftAt.delete(peerId);
      for (const id of this.#outboxes.get(peerId) ?? []) {
        this.#records.get(id)?.recipients.delete(peerId);
        changed.add(id);
      }
      this.#outboxes.delete(peerId);
    }
    for (const [peerId, outbox] of this.#outboxes) {
      while (outbox.length > 0 && now - (this.#records.get(outbox[0]!)?.createdAt ?? now) > OUTBOX_MAX_AGE_MS) {
        const oldest = outbox.shift()!;
        this.#records.get(oldest)?.undeliverable.set(peerId, 'too-old');
        changed.add(oldest);
      }
      if (outbox.length === 0) this.#outboxes.delete(peerId);
    }
    return [...changed];
  }

  summary(messageId: string): DeliverySummary | undefined {
    const record = this.#records.get(messageId);
    if (!record) return undefined;
    return {
      delivered: record.delivered.size,
      total: record.recipients.size,
      undeliverable: [...record.undeliverable].map(([peerId, reason]) => ({ peerId, reason })),
    };
  }
}
