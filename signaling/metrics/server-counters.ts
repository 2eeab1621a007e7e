/**
 * What the server counts as it works: plain numbers bumped on the hot paths (a relayed signal is
 * one `+= 1`), read only when /metrics is scraped (prometheus.ts). One object per server, shared by
 * every session through the session context.
 */
import type { ErrorCode } from '../../protocol/signaling.js';

export class ServerCounters {
  /** Joins that got a welcome. */
  joins = 0;
  /** Signals forwarded from one member to another. */
  signalsRelayed = 0;
  /** `error` frames sent, by code (a refused frame, join, or request). */
  readonly errorsSent = new Map<ErrorCode, number>();
  /** WebSocket upgrades refused before any frame, by HTTP refusal (origin, caps, shutdown). */
  readonly upgradesRefused = new Map<string, number>();

  errorSent(code: ErrorCode): void {
    this.errorsSent.set(code, (this.errorsSent.get(code) ?? 0) + 1);
  }

  upgradeRefused(error: string): void {
    this.upgradesRefused.set(error, (this.upgradesRefused.get(error) ?? 0) + 1);
  }
}
