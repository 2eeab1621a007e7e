/**
 * A rate limit on two keys at once, such as a client address and a room: a token bucket per key of
 * each scope, created on first use and forgotten once it has refilled, so the maps hold only the
 * keys seen within about a minute. An attempt is charged to both scopes only if both allow it, so a
 * refused attempt costs nothing.
 */
import { TokenBucket } from '../token-bucket.js';
import { systemClock, type CancelTimer, type Clock } from './clock.js';

export interface RateScope<Name extends string> {
  name: Name;
  /** Attempts per key per minute, sustained. */
  perMinute: number;
  /** Attempts one key may make at once. */
  burst: number;
}

export type RateVerdict<Scope extends string> = { allowed: true } | { allowed: false; scope: Scope; retryAfterMs: number };

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

export class PairedRateLimit<First extends string, Second extends string> {
  readonly #first: KeyedBuckets;
  readonly #second: KeyedBuckets;
  readonly #clock: Clock;
  #cancelSweep: CancelTimer | undefined;

  constructor(
    private readonly firstScope: RateScope<First>,
    private readonly secondScope: RateScope<Second>,
    clock: Clock = systemClock,
  ) {
    this.#clock = clock;
    this.#first = new KeyedBuckets(firstScope.perMinute, firstScope.burst);
    this.#second = new KeyedBuckets(secondScope.perMinute, secondScope.burst);
  }

  /** Whether an attempt under these two keys may happen now; if so, it is counted against both. */
  admit(firstKey: string, secondKey: string): RateVerdict<First | Second> {
    const now = this.#clock.now();
    const first = this.#first.get(firstKey, now);
    const second = this.#second.get(secondKey, now);
    this.#cancelSweep ??= this.#clock.setInterval(() => this.#sweep(), SWEEP_INTERVAL_MS);
    if (!first.has(now)) return { allowed: false, scope: this.firstScope.name, retryAfterMs: first.msUntilToken(now) };
    if (!second.has(now)) return { allowed: false, scope: this.secondScope.name, retryAfterMs: second.msUntilToken(now) };
    first.take(now);
    second.take(now);
    return { allowed: true };
  }

  /** Buckets held (for tests). */
  get trackedKeys(): number {
    return this.#first.size + this.#second.size;
  }

  stop(): void {
    this.#cancelSweep?.();
    this.#cancelSweep = undefined;
  }

  #sweep(): void {
    const now = this.#clock.now();
    this.#first.sweep(now);
    this.#second.sweep(now);
    if (this.trackedKeys === 0) this.stop();
  }
}
