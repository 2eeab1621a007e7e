// The policy that keeps each participant's connection path current, with a fake probe and fake timers.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LinkPaths, PATH_REFRESH_MS, PATH_RETRY_MS } from '../../../web/room/link-paths.js';
import { ParticipantRegistry } from '../../../web/room/participants.js';
import type { LinkFailure, LinkPath } from '../../../web/transport/link-diagnosis.js';

const DIRECT: LinkPath = { route: 'local-network', localCandidate: 'host', remoteCandidate: 'host', protocol: 'udp', roundTripMs: 0.5 };
const RELAYED: LinkPath = { route: 'relayed', localCandidate: 'relay', remoteCandidate: 'srflx', protocol: 'udp', roundTripMs: 9 };

function setup() {
  const participants = new ParticipantRegistry();
  participants.admit({ id: 'bob' }, 'connecting');
  const current = new Map<string, LinkPath | undefined>([['bob', DIRECT]]);
  const probes: string[] = [];
  const routes: [string, LinkPath][] = [];
  const failures: [string, LinkFailure][] = [];
  const paths = new LinkPaths({
    participants,
    probe: async (id) => {
      probes.push(id);
      return current.get(id);
    },
    onRoute: (id, path) => routes.push([id, path]),
    onFailure: (id, failure) => failures.push([id, failure]),
  });
  return { participants, current, probes, routes, failures, paths };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('LinkPaths', () => {
  it('reads the path once connected, tells the room of the route once, and keeps the round trip fresh', async () => {
    const { participants, current, probes, routes, paths } = setup();
    paths.connected('bob');
    await vi.advanceTimersByTimeAsync(0);
    expect(participants.get('bob')?.path).toEqual(DIRECT);
    expect(routes).toEqual([['bob', DIRECT]]);
    current.set('bob', { ...DIRECT, roundTripMs: 0.7 });
    await vi.advanceTimersByTimeAsync(PATH_REFRESH_MS);
    expect(participants.get('bob')?.path?.roundTripMs).toBe(0.7);
    expect(routes).toHaveLength(1); // a round trip alone is not news
    current.set('bob', RELAYED);
    await vi.advanceTimersByTimeAsync(PATH_REFRESH_MS);
    expect(routes).toEqual([['bob', DIRECT], ['bob', RELAYED]]);
    expect(probes).toHaveLength(3);
  });

  it('tries again soon when the browser cannot tell the path yet, a bounded number of times', async () => {
    const { participants, current, probes, paths } = setup();
    current.set('bob', undefined);
    paths.connected('bob');
    await vi.advanceTimersByTimeAsync(PATH_RETRY_MS);
    expect(probes).toHaveLength(2);
    current.set('bob', DIRECT);
    await vi.advanceTimersByTimeAsync(PATH_RETRY_MS);
    expect(participants.get('bob')?.path).toEqual(DIRECT);
    expect(probes).toHaveLength(3);
    // Never known: six quick tries, then only the regular readings.
    const never = setup();
    never.current.set('bob', undefined);
    never.paths.connected('bob');
    await vi.advanceTimersByTimeAsync(PATH_REFRESH_MS - 1);
    expect(never.probes).toHaveLength(7);
    never.paths.dispose();
    paths.dispose();
  });

  it('records why a connection found no path, tells the room, and forgets it once connected', async () => {
    const { participants, failures, paths } = setup();
    paths.closed('bob', 'no-turn');
    expect(participants.get('bob')?.linkFailure).toBe('no-turn');
    expect(failures).toEqual([['bob', 'no-turn']]);
    paths.connected('bob');
    await vi.advanceTimersByTimeAsync(0);
    expect(participants.get('bob')?.linkFailure).toBeUndefined();
  });

  it('drops the path when the connection ends, and stops reading when nobody is connected', async () => {
    const { participants, probes, paths } = setup();
    paths.connected('bob');
    await vi.advanceTimersByTimeAsync(0);
    paths.closed('bob');
    expect(participants.get('bob')?.path).toBeUndefined();
    expect(participants.get('bob')?.linkFailure).toBeUndefined();
    await vi.advanceTimersByTimeAsync(10 * PATH_REFRESH_MS);
    expect(probes).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('ignores a probe that fails (the connection closed while its stats were read)', async () => {
    const { participants, paths } = setup();
    const failing = new LinkPaths({ participants, probe: () => Promise.reject(new Error('closed')), onRoute: () => undefined, onFailure: () => undefined });
    failing.connected('bob');
    await vi.advanceTimersByTimeAsync(0);
    expect(participants.get('bob')?.path).toBeUndefined();
    failing.dispose();
    paths.dispose();
    expect(vi.getTimerCount()).toBe(0);
  });
});
