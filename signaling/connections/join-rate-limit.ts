/**
 * How often joins may happen: per client address (one socket that joins and leaves in a loop makes
 * every member of the room build a connection each time) and per room (many addresses doing the
 * same to one room).
 */
import type { Clock } from './clock.js';
import { PairedRateLimit, type RateVerdict } from './paired-rate-limit.js';

export { SWEEP_INTERVAL_MS } from './paired-rate-limit.js';

export interface JoinRateLimitOptions {
  /** Joins per address per minute; the same number may come at once. */
  perAddressPerMinute: number;
  /** Joins per room per minute, once the room's burst is spent. */
  perRoomPerMinute: number;
  /** Joins a room may take at once: everyone rejoining after the server restarted, and then some. */
  roomBurst: number;
  clock?: Clock;
}

export type JoinVerdict = RateVerdict<'address' | 'room'>;

export class JoinRateLimit extends PairedRateLimit<'address', 'room'> {
  constructor(options: JoinRateLimitOptions) {
    super(
      { name: 'address', perMinute: options.perAddressPerMinute, burst: options.perAddressPerMinute },
      { name: 'room', perMinute: options.perRoomPerMinute, burst: options.roomBurst },
      options.clock,
    );
  }
}
