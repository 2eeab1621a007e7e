import { describe, expect, it } from 'vitest';
import { ConnectionRegistry } from '../../../signaling/connections/connection-registry.js';
import { HEARTBEAT_SLOTS, Heartbeat, type HeartbeatSocket } from '../../../signaling/connections/heartbeat.js';
import { FakeClock } from './fake-clock.js';

const INTERVAL_MS = 1000;
const SLOT_MS = INTERVAL_MS / HEARTBEAT_SLOTS;

/** A WebSocket as the heartbeat sees it: records pings and terminations, answers when told to. */
class FakeSocket implements HeartbeatSocket {
  readonly pings: number[] = [];
  terminatedAt: number | undefined;
  #onPong: ((this: FakeSocket) => void) | undefined;

  constructor(
    private readonly clock: FakeClock,
    /** Whether it answers each ping at once, as a browser does. */
    private readonly answers: boolean,
  ) {}

  ping(): void {
    this.pings.push(this.clock.now());
    if (this.answers) this.pong();
  }

  terminate(): void {
    this.terminatedAt = this.clock.now();
  }

  on(_event: 'pong', listener: (this: FakeSocket) => void): void {
    this.#onPong = listener;
  }

  pong(): void {
    this.#onPong?.call(this);
  }
}

function heartbeatWith(count: number, answers = true) {
  const clock = new FakeClock();
  const registry = new ConnectionRegistry<FakeSocket, { address: string }>(1000);
  const heartbeat = new Heartbeat(registry, { intervalMs: INTERVAL_MS, clock });
  const add = (answering = answers): FakeSocket => {
    const socket = new FakeSocket(clock, answering);
    registry.add(socket, { address: '198.51.100.7' });
    heartbeat.watch(socket);
    return socket;
  };
  const sockets = Array.from({ length: count }, () => add());
  const remove = (socket: FakeSocket): void => {
    registry.remove(socket);
    heartbeat.forget(socket);
  };
  return { clock, registry, heartbeat, sockets, add, remove };
}

/** How many pings went out at each moment. */
function pingsByTime(sockets: FakeSocket[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const time of sockets.flatMap((socket) => socket.pings)) counts.set(time, (counts.get(time) ?? 0) + 1);
  return counts;
}

describe('Heartbeat', () => {
  it('pings every socket once per interval, a tenth of them in each of its slots', () => {
    const { clock, sockets } = heartbeatWith(20);
    clock.advance(INTERVAL_MS);
    expect(sockets.map((socket) => socket.pings.length)).toEqual(Array(20).fill(1));
    // Two pings (a tenth of 20) at the end of each slot, never all at once.
    expect([...pingsByTime(sockets)]).toEqual(Array.from({ length: HEARTBEAT_SLOTS }, (_, slot) => [(slot + 1) * SLOT_MS, 2]));

    // The next pass pings each socket again, an interval (and at most a slot) after the first.
    clock.advance(INTERVAL_MS + SLOT_MS);
    for (const socket of sockets) {
      expect(socket.pings).toHaveLength(2);
      expect(socket.pings[1]! - socket.pings[0]!).toBeGreaterThanOrEqual(INTERVAL_MS);
      expect(socket.pings[1]! - socket.pings[0]!).toBeLessThanOrEqual(INTERVAL_MS + SLOT_MS);
    }
    expect(sockets.some((socket) => socket.terminatedAt !== undefined)).toBe(false);
  });

  it('pings at most a tenth of the sockets, rounded up, in one tick', () => {
    const { clock, sockets } = heartbeatWith(25);
    clock.advance(3 * INTERVAL_MS);
    expect(Math.max(...pingsByTime(sockets).values())).toBe(3);
    expect(sockets.every((socket) => socket.pings.length >= 2)).toBe(true);
  });

  it('terminates a socket that has not answered its previous ping by its next turn, and keeps one that answers', () => {
    const { clock, sockets, add } = heartbeatWith(1);
    const [answering] = sockets;
    const silent = add(false);
    const late = add(false);
    clock.advance(INTERVAL_MS);
    const [silentPing] = silent.pings;
    expect(silentPing).toBeDefined();
    // Answering before its next turn is in time, however late.
    late.pong();

    // Not before its next turn…
    clock.advance(silentPing! + INTERVAL_MS - clock.now() - 1);
    expect(silent.terminatedAt).toBeUndefined();
    // …but at it, instead of another ping.
    clock.advance(2 * SLOT_MS);
    expect(silent.terminatedAt).toBeGreaterThanOrEqual(silentPing! + INTERVAL_MS);
    expect(silent.pings).toEqual([silentPing]);

    clock.advance(3 * INTERVAL_MS);
    expect(answering!.terminatedAt).toBeUndefined();
    expect(answering!.pings.length).toBeGreaterThanOrEqual(4);
    // The late one answered its first ping only: terminated at the turn after its second.
    expect(late.pings).toHaveLength(2);
    expect(late.terminatedAt).toBeGreaterThan(late.pings[1]!);
  });

  it('runs one timer for all sockets, and none once they are gone', () => {
    const { clock, sockets, add, remove } = heartbeatWith(100);
    expect(clock.pendingTimers).toBe(1);
    for (const socket of sockets) remove(socket);
    expect(clock.pendingTimers).toBe(0);

    const newcomer = add();
    expect(clock.pendingTimers).toBe(1);
    clock.advance(INTERVAL_MS);
    expect(newcomer.pings).toHaveLength(1);
  });

  it('keeps pinging every socket each interval while connections come and go faster than a pass', () => {
    const { clock, sockets, add, remove } = heartbeatWith(5);
    let shortLived: FakeSocket[] = [];
    for (let slot = 0; slot < 5 * HEARTBEAT_SLOTS; slot += 1) {
      for (const socket of shortLived) remove(socket);
      shortLived = [add(), add(), add()];
      clock.advance(SLOT_MS);
    }
    for (const socket of sockets) {
      expect(socket.pings.length).toBeGreaterThanOrEqual(4);
      const gaps = socket.pings.slice(1).map((time, index) => time - socket.pings[index]!);
      expect(Math.max(...gaps)).toBeLessThanOrEqual(INTERVAL_MS + SLOT_MS);
    }
  });

  it('never pings a socket that has closed, before a pass or during one', () => {
    const { clock, sockets, remove } = heartbeatWith(20);
    const [before] = sockets.splice(5, 1);
    remove(before!);
    // The pass begins, with the last socket still to come…
    clock.advance(SLOT_MS);
    const during = sockets.pop()!;
    expect(during.pings).toEqual([]);
    remove(during);
    clock.advance(2 * INTERVAL_MS);
    expect(before!.pings).toEqual([]);
    expect(during.pings).toEqual([]);
    expect(sockets.every((socket) => socket.pings.length >= 2)).toBe(true);
  });
});
