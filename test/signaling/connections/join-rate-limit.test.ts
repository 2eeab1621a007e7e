// The join rate limit on a fake clock: per address and per room, what a refused join costs, when
// it may come back, and that buckets are forgotten once they have refilled.
import { describe, expect, it } from 'vitest';
import { JoinRateLimit, SWEEP_INTERVAL_MS } from '../../../signaling/connections/join-rate-limit.js';
import { FakeClock } from './fake-clock.js';

function limiter(perAddressPerMinute = 20, perRoomPerMinute = 60, roomBurst = 32) {
  const clock = new FakeClock();
  return { clock, limit: new JoinRateLimit({ perAddressPerMinute, perRoomPerMinute, roomBurst, clock }) };
}

/** Joins one address makes into rooms of its own until refused; how many got in. */
function joinsUntilRefused(limit: JoinRateLimit, address: string, max = 1000): number {
  for (let count = 0; count < max; count += 1) if (!limit.admit(address, `room-${address}-${count}`).allowed) return count;
  return max;
}

describe('JoinRateLimit', () => {
  it('lets one address join its per-minute number at once, then one more each 60/N seconds', () => {
    const { clock, limit } = limiter(20);
    expect(joinsUntilRefused(limit, 'a')).toBe(20);
    const refused = limit.admit('a', 'room-x');
    expect(refused).toEqual({ allowed: false, scope: 'address', retryAfterMs: 3000 });
    clock.advance(2999);
    expect(limit.admit('a', 'room-x').allowed).toBe(false);
    clock.advance(1);
    expect(limit.admit('a', 'room-x')).toEqual({ allowed: true });
    expect(limit.admit('a', 'room-y').allowed).toBe(false);
    // Another address is not held back.
    expect(limit.admit('b', 'room-x')).toEqual({ allowed: true });
  });

  it('the attack it stops: one socket joining and leaving in a loop for 3.3 s gets 21 joins, not 145', () => {
    const { clock, limit } = limiter(20);
    let admitted = 0;
    for (let attempt = 0; attempt < 145; attempt += 1) {
      if (limit.admit('attacker', 'victim-room').allowed) admitted += 1;
      clock.advance(3300 / 145);
    }
    expect(admitted).toBe(21);
  });

  it('holds a room to its burst, then its per-minute rate, whatever the addresses', () => {
    const { clock, limit } = limiter(20, 60, 32);
    for (let address = 0; address < 32; address += 1) expect(limit.admit(`a${address}`, 'room').allowed).toBe(true);
    expect(limit.admit('a32', 'room')).toEqual({ allowed: false, scope: 'room', retryAfterMs: 1000 });
    clock.advance(1000);
    expect(limit.admit('a33', 'room').allowed).toBe(true);
  });

  it('charges neither bucket for a refused join', () => {
    const { limit } = limiter(2, 60, 1);
    expect(limit.admit('a', 'full-room').allowed).toBe(true);
    // The room refuses: the address keeps its second join for another room.
    expect(limit.admit('a', 'full-room')).toMatchObject({ allowed: false, scope: 'room' });
    expect(limit.admit('a', 'other-room').allowed).toBe(true);
    expect(limit.admit('a', 'third-room')).toMatchObject({ allowed: false, scope: 'address' });
  });

  it('forgets buckets that have refilled, and stops its timer when none is left', () => {
    const { clock, limit } = limiter(20, 60, 32);
    for (let address = 0; address < 100; address += 1) limit.admit(`a${address}`, `r${address}`);
    expect(limit.trackedKeys).toBe(200);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(SWEEP_INTERVAL_MS);
    expect(limit.trackedKeys).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('keeps a bucket that is still refilling', () => {
    const { clock, limit } = limiter(20);
    limit.admit('early', 'early-room');
    clock.advance(SWEEP_INTERVAL_MS / 2);
    joinsUntilRefused(limit, 'busy');
    clock.advance(SWEEP_INTERVAL_MS / 2);
    // Half a minute after spending its 20 joins, 'busy' has 10 back: kept. The rooms (one join
    // each, a token a second) and 'early' are full again: forgotten.
    expect(limit.trackedKeys).toBe(1);
    expect(limit.admit('busy', 'another-room').allowed).toBe(true);
  });
});
