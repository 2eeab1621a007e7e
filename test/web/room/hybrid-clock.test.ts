import { describe, expect, it } from 'vitest';
import { HybridClock, MAX_CLOCK_LEAD_MS } from '../../../web/room/hybrid-clock.js';

describe('HybridClock', () => {
  it('follows the wall clock while it moves on', () => {
    let now = 1000;
    const clock = new HybridClock(() => now);
    expect(clock.stamp()).toBe(1000);
    now = 5000;
    expect(clock.stamp()).toBe(5000);
  });

  it('never stamps the same time twice, nor goes back when the wall clock does', () => {
    let now = 1000;
    const clock = new HybridClock(() => now);
    expect([clock.stamp(), clock.stamp(), clock.stamp()]).toEqual([1000, 1001, 1002]);
    now = 500;
    expect(clock.stamp()).toBe(1003);
  });

  it('stamps later than any time observed within the lead limit', () => {
    const clock = new HybridClock(() => 1000);
    clock.observe(1000 + MAX_CLOCK_LEAD_MS - 1);
    expect(clock.stamp()).toBe(1000 + MAX_CLOCK_LEAD_MS);
  });

  it('ignores a time at or beyond the lead limit, and times in the past', () => {
    const clock = new HybridClock(() => 1000);
    clock.observe(1000 + MAX_CLOCK_LEAD_MS);
    clock.observe(10);
    expect(clock.stamp()).toBe(1000);
  });
});
