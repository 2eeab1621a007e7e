// The browser's side of short-lived TURN credentials: it asks for fresh ones before those it holds
// expire, uses each new list for later connections, waits when told to, and takes from a server
// (which it does not trust to be well-formed) only entries a browser can use.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IceServerRefresh, MIN_REFRESH_DELAY_MS, usableIceServers } from '../../../web/transport/ice-server-refresh.js';
import type { IceServer } from '../../../protocol/signaling.js';

const TURN = { urls: 'turn:turn.parley.test:3478', username: '1800001200:ada', credential: 'c1' };

function refresher(connected = true) {
  const requests: number[] = [];
  const applied: (readonly IceServer[])[] = [];
  const refresh = new IceServerRefresh({
    request: () => {
      requests.push(Date.now());
      return connected;
    },
    apply: (list) => applied.push(list),
  });
  return { refresh, requests, applied };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_800_000_000_000);
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('IceServerRefresh', () => {
  it('applies the list at once and asks again at three quarters of its lifetime, then again for each new list', () => {
    const { refresh, requests, applied } = refresher();
    refresh.received({ iceServers: [TURN], iceServersValidForMs: 1_200_000 });
    expect(applied).toEqual([[TURN]]);
    expect(refresh.expiresAt).toBe(1_800_001_200_000);
    vi.advanceTimersByTime(899_999);
    expect(requests).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(requests).toEqual([1_800_000_900_000]);
    const fresh = { ...TURN, username: '1800002100:ada', credential: 'c2' };
    refresh.received({ iceServers: [fresh], iceServersValidForMs: 1_200_000 });
    expect(applied.at(-1)).toEqual([fresh]);
    vi.advanceTimersByTime(900_000);
    expect(requests).toHaveLength(2);
  });

  it('never asks for a list that does not expire', () => {
    const { refresh, requests } = refresher();
    refresh.received({ iceServers: [{ urls: 'stun:parley.test:3478' }] });
    vi.advanceTimersByTime(24 * 3600_000);
    expect(requests).toHaveLength(0);
    expect(refresh.expiresAt).toBeUndefined();
  });

  it('asks no sooner than a floor, whatever a (hostile or misconfigured) server says', () => {
    const { refresh, requests } = refresher();
    for (const validFor of [1, 0, -5, Number.NaN]) refresh.received({ iceServers: [], iceServersValidForMs: validFor });
    vi.advanceTimersByTime(60_000);
    // 1 ms: one request after the floor; 0, -5 and NaN: taken as "does not expire".
    expect(requests.length).toBeLessThanOrEqual(1);
    const { refresh: again, requests: asked } = refresher();
    again.received({ iceServers: [], iceServersValidForMs: 1 });
    vi.advanceTimersByTime(MIN_REFRESH_DELAY_MS - 1);
    expect(asked).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(asked).toHaveLength(1);
  });

  it('when refused, asks again when told, if that is before expiry; otherwise leaves it to the next welcome', () => {
    const { refresh, requests } = refresher();
    refresh.received({ iceServers: [TURN], iceServersValidForMs: 1_200_000 });
    vi.advanceTimersByTime(900_000);
    expect(requests).toHaveLength(1);
    refresh.refused(150_000);
    vi.advanceTimersByTime(150_000);
    expect(requests).toHaveLength(2);
    refresh.refused(400_000); // past expiry: pointless
    vi.advanceTimersByTime(1_000_000);
    expect(requests).toHaveLength(2);
  });

  it('stops asking when the signaling connection is gone', () => {
    const { refresh, requests } = refresher();
    refresh.received({ iceServers: [TURN], iceServersValidForMs: 1_200_000 });
    refresh.stop();
    vi.advanceTimersByTime(2_000_000);
    expect(requests).toHaveLength(0);
  });
});

describe('usableIceServers', () => {
  it('keeps well-formed entries and drops, with a warning, each one a browser would refuse', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const list = [
      { urls: 'stun:parley.test:3478' },
      { urls: ['turn:a.test:3478', 'turns:a.test:5349?transport=tcp'], username: 'u', credential: 'p' },
      { urls: 'http://evil.test' },
      { urls: [] },
      { urls: ['stun:ok.test', 42] },
      { urls: 'turn:a.test', username: 7 },
      null,
      'stun:bare.string',
    ];
    expect(usableIceServers(list)).toEqual([list[0], list[1]]);
    expect(warn).toHaveBeenCalledTimes(6);
    expect(usableIceServers('not a list')).toEqual([]);
  });
});
