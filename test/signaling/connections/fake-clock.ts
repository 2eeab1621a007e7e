// A clock whose time moves only when a test advances it; the timers that fall due run in order.
import type { CancelTimer, Clock } from '../../../signaling/connections/clock.js';

interface FakeTimer {
  dueAt: number;
  /** Set for an interval: how far its next run is from this one. */
  periodMs: number | undefined;
  callback: () => void;
}

export class FakeClock implements Clock {
  #now = 0;
  readonly #timers = new Set<FakeTimer>();

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, delayMs: number): CancelTimer {
    return this.#add(callback, delayMs, undefined);
  }

  setInterval(callback: () => void, periodMs: number): CancelTimer {
    return this.#add(callback, periodMs, Math.max(1, periodMs));
  }

  /** Timers set and neither run out nor cancelled. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** Moves time on by `ms`, running each timer when it falls due (earliest first; ties in the order set). */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (let next = this.#earliest(); next && next.dueAt <= until; next = this.#earliest()) {
      this.#now = next.dueAt;
      if (next.periodMs === undefined) this.#timers.delete(next);
      else next.dueAt += next.periodMs;
      next.callback();
    }
    this.#now = until;
  }

  #earliest(): FakeTimer | undefined {
    let earliest: FakeTimer | undefined;
    for (const timer of this.#timers) if (!earliest || timer.dueAt < earliest.dueAt) earliest = timer;
    return earliest;
  }

  #add(callback: () => void, delayMs: number, periodMs: number | undefined): CancelTimer {
    // As in Node, a timer never runs sooner than a millisecond from now.
    const timer: FakeTimer = { dueAt: this.#now + Math.max(1, delayMs), periodMs, callback };
    this.#timers.add(timer);
    return () => this.#timers.delete(timer);
  }
}
