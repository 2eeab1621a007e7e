/**
 * A token bucket for inbound frames: `burst` tokens, refilled at `perSecond`. Two numbers of
 * state and no timer, because it is consulted on every frame of every connection.
 */
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
    const elapsedMs = now - this.#updatedAt;
    if (elapsedMs > 0) {
      this.#tokens = Math.min(this.burst, this.#tokens + (elapsedMs * this.perSecond) / 1000);
      this.#updatedAt = now;
    }
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
