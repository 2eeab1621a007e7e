/**
 * How often joins may happen: per client address (one socket that joins and leaves in a loop makes
 * every member of the room build a connection each time) and per room (many addresses doing the
 * same to one room). A token bucket per address and per room, created on first use and forgotten
 * once it has refilled, so the maps hold only those that joined within about a minute.
 */
import { TokenBucket } from '../token-bucket.js';
import { systemClock, type CancelTimer, type Clock } from './clock.js';

export interface JoinRateLimitOptions {
  /** Joins per address per minute; the same number may come at once. */
  perAddressPerMinute: number;
  /** Joins per room per minute, once the room's burst is spent. */
  perRoomPerMinute: number;
  /** Joins a room may take at once: everyone rejoining after the server restarted, and then some. */
  roomBurst: number;
  clock?: Clock;
}

export type JoinVerdict = { allowed: true } | { allowed: false; scope: 'address' | 'room'; retryAfterMs: number };

/** How often buckets that have refilled are forgotten. */
export const SWEEP_INTERVAL_MS = 60_000;

class KeyedBuckets {
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly perMinute: number,
    private readonly burst: number,
  ) {}

  get(key: string, now: number): TokenBucket {
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.perMinute / 60, this.burst, now);
      this.#buckets.set(key, bucket);
    }
    return bucket;
  }

  sweep(now: number): void {
    for (const [key, bucket] of this.#buckets) if (bucket.isFull(now)) this.#buckets.delete(key);
  }

  get size(): number {
    return this.#buckets.size;
  }
}

export class JoinRateLimit {
  readonly #perAddress: KeyedBuckets;
  readonly #perRoom: KeyedBuckets;
  readonly #clock: Clock;
  #cancelSweep: CancelTimer | undefined;

  constructor(options: JoinRateLimitOptions) {
    this.#clock = options.clock ?? systemClock;
    this.#perAddress = new KeyedBuckets(options.perAddressPerMinute, options.perAddressPerMinute);
    this.#perRoom = new KeyedBuckets(options.perRoomPerMinute, options.roomBurst);
  }

  /** Whether this address may join this room now; if so, the join is counted against both. */
  admit(addressKey: string, roomId: string): JoinVerdict {
    const now = this.#clock.now();
    const address = this.#perAddress.get(addressKey, now);
    const room = this.#perRoom.get(roomId, now);
    // Neither is charged unless both allow it, so a refused join costs the address nothing.
    if (!address.has(now)) return { allowed: false, scope: 'address', retryAfterMs: address.msUntilToken(now) };
    if (!room.has(now)) return { allowed: false, scope: 'room', retryAfterMs: room.msUntilToken(now) };
    address.take(now);
    room.take(now);
    this.#cancelSweep ??= this.#clock.setInterval(() => this.#sweep(), SWEEP_INTERVAL_MS);
    return { allowed: true };
  }

  /** Buckets held (for tests). */
  get trackedKeys(): number {
    return this.#perAddress.size + this.#perRoom.size;
  }

  stop(): void {
    this.#cancelSweep?.();
    this.#cancelSweep = undefined;
  }

  #sweep(): void {
    const now = this.#clock.now();
    this.#perAddress.sweep(now);
    this.#perRoom.sweep(now);
    if (this.trackedKeys === 0) this.stop();
  }
}
