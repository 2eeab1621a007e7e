import { describe, expect, it } from 'vitest';
import { BASE_DELAY_MS, FAST_RETRY_CAP_MS, FAST_RETRY_WINDOW_MS, reconnectDelay, SLOW_RETRY_CAP_MS } from '../../../web/transport/reconnect-policy.js';

describe('reconnectDelay', () => {
  it('grows exponentially from the base, with jitter in the upper half of each step', () => {
    expect(reconnectDelay(1, 0, () => 0)).toBe(BASE_DELAY_MS / 2);
    expect(reconnectDelay(1, 0, () => 1)).toBe(BASE_DELAY_MS);
    expect(reconnectDelay(2, 0, () => 1)).toBe(BASE_DELAY_MS * 2);
    expect(reconnectDelay(3, 0, () => 1)).toBe(BASE_DELAY_MS * 4);
  });

  it('stays short in the first minute of an outage, so a restarted server sees clients back fast', () => {
    for (let attempt = 1; attempt < 50; attempt += 1) {
      expect(reconnectDelay(attempt, FAST_RETRY_WINDOW_MS - 1, () => 1)).toBeLessThanOrEqual(FAST_RETRY_CAP_MS);
    }
  });

  it('backs off further during a long outage', () => {
    expect(reconnectDelay(30, FAST_RETRY_WINDOW_MS, () => 1)).toBe(SLOW_RETRY_CAP_MS);
    expect(reconnectDelay(30, FAST_RETRY_WINDOW_MS, () => 0)).toBe(SLOW_RETRY_CAP_MS / 2);
  });

  it('spreads clients out', () => {
    const delays = new Set(Array.from({ length: 50 }, () => reconnectDelay(4, 0)));
    expect(delays.size).toBeGreaterThan(10);
  });
});
