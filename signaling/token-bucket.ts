/**
 * A token bucket: `burst` tokens, refilled at `perSecond`. Two numbers of state and no timer,
 * because one is consulted on every frame of every connection.
 */
/** Refills are fractions of a token: a whole one may come out a hair short of 1. */
const WHOLE = 1 - 1e-9;

export class TokenBucket {
  #tokens: number;
  #updatedAt: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    now: number = performance.now(),
  ) {
    this.#tokens = burst;
    this.#updatedAt = now;
  }

  /** Takes one token if there is one; `now` is in milliseconds (performance.now()). */
  take(now: number = performance.now()): boolean {
    this.#refill(now);
    if (this.#tokens < WHOLE) return false;
    this.#tokens = Math.max(0, this.#tokens - 1);
    return true;
  }

  /** Whether a token is there to take, without taking it. */
  has(now: number = performance.now()): boolean {
    this.#refill(now);
    return this.#tokens >= WHOLE;
  }

  /** Milliseconds until a token is there (0 if one is now). */
  msUntilToken(now: number = performance.now()): number {
    this.#refill(now);
    return this.#tokens >= WHOLE ? 0 : Math.ceil(((1 - this.#tokens) * 1000) / this.perSecond);
  }

  /** Whether the bucket is back to its burst: it then says nothing a new bucket would not. */
  isFull(now: number = performance.now()): boolean {
    this.#refill(now);
    return this.#tokens >= this.burst - (1 - WHOLE);
  }

  #refill(now: number): void {
    const elapsedMs = now - this.#updatedAt;
    if (elapsedMs <= 0) return;
    this.#tokens = Math.min(this.burst, this.#tokens + (elapsedMs * this.perSecond) / 1000);
    this.#updatedAt = now;
  }
}
