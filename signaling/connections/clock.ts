/**
 * The time source and timers the connection policies run on. Each policy takes one as an option,
 * so its tests drive it with a fake clock; the server runs them on the system's.
 */

/** Cancels the timer it was returned for. */
export type CancelTimer = () => void;

export interface Clock {
  /** Milliseconds on a monotonic scale. */
  now(): number;
  /** Calls `callback` once, `delayMs` from now. */
  setTimeout(callback: () => void, delayMs: number): CancelTimer;
  /** Calls `callback` every `periodMs` until cancelled. */
  setInterval(callback: () => void, periodMs: number): CancelTimer;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout(callback, delayMs) {
    const timer = setTimeout(callback, delayMs);
    return () => clearTimeout(timer);
  },
  setInterval(callback, periodMs) {
    const timer = setInterval(callback, periodMs);
    return () => clearInterval(timer);
  },
};
