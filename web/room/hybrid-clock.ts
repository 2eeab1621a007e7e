/**
 * The time stamped on messages: the wall clock, but always later than every message time seen or
 * sent, so a reply sorts after what it answers even within a millisecond or across skewed clocks.
 */

/** Times further ahead of our clock than this do not move our clock (a wrong or hostile peer). */
export const MAX_CLOCK_LEAD_MS = 5 * 60 * 1000;

export class HybridClock {
  /** The latest message time seen or sent. */
  #latest = 0;

  constructor(private readonly now: () => number) {}

  /** The time for a message sent now: later than anything seen so far. */
  stamp(): number {
    this.#latest = Math.max(this.now(), this.#latest + 1);
    return this.#latest;
  }

  /** Another message's time; it moves the clock on unless it lies too far in the future. */
  observe(sentAt: number): void {
    if (sentAt > this.#latest && sentAt - this.now() < MAX_CLOCK_LEAD_MS) this.#latest = sentAt;
  }
}
