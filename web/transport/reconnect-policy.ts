/**
 * When to try the signaling server again: exponential backoff with jitter. The delay stays short
 * (at most FAST_RETRY_CAP_MS) during the first minute of an outage, so a restarted server sees its
 * clients back within about two seconds; after that it grows to SLOW_RETRY_CAP_MS to spare a
 * server that is down for longer. Jitter spreads a crowd of clients over the interval.
 */
export const BASE_DELAY_MS = 250;
export const FAST_RETRY_CAP_MS = 1500;
export const SLOW_RETRY_CAP_MS = 15_000;
export const FAST_RETRY_WINDOW_MS = 60_000;

/**
 * The delay before attempt number `attempt` (1 = the first retry), `outageMs` into an outage.
 * `random` is injectable for tests; the result lies in [cap/2, cap] of the exponential step.
 */
export function reconnectDelay(attempt: number, outageMs: number, random: () => number = Math.random): number {
  const cap = outageMs < FAST_RETRY_WINDOW_MS ? FAST_RETRY_CAP_MS : SLOW_RETRY_CAP_MS;
  const step = Math.min(cap, BASE_DELAY_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + random() * (step / 2));
}
