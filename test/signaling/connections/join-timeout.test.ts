// The join timeout, on its own and as sessions drive it (they tell it when they are in no room).
import { describe, expect, it } from 'vitest';
import { ROOM_ID_LENGTH } from '../../../protocol/ids.js';
import { ClientMessageType, CloseCode } from '../../../protocol/signaling.js';
import { JoinTimeout } from '../../../signaling/connections/join-timeout.js';
import type { SessionSocket } from '../../../signaling/session.js';
import { FakeConnection, sessionContext, type TranscriptEntry } from '../fake-session-socket.js';
import { FakeClock } from './fake-clock.js';

const TIMEOUT_MS = 15_000;
const ROOM = 'J'.repeat(ROOM_ID_LENGTH);

/** A server's worth of sessions on a fake clock, with a real join timeout. */
function server() {
  const clock = new FakeClock();
  const joinTimeout = new JoinTimeout<SessionSocket>({ timeoutMs: TIMEOUT_MS, clock });
  const context = sessionContext({ joinTimeout });
  const transcript: TranscriptEntry[] = [];
  let count = 0;
  const connect = (): FakeConnection => new FakeConnection(`socket-${(count += 1)}`, context, transcript);
  return { clock, joinTimeout, connect };
}

describe('JoinTimeout', () => {
  it('closes a connection that never joins with 4004 at the deadline, and not before', () => {
    const { clock, connect } = server();
    const idle = connect();
    clock.advance(TIMEOUT_MS - 1);
    expect(idle.socket.closes).toEqual([]);
    clock.advance(1);
    expect(idle.socket.closes).toEqual([CloseCode.JoinTimeout]);
    clock.advance(10 * TIMEOUT_MS);
    expect(idle.socket.closes).toEqual([CloseCode.JoinTimeout]);
  });

  it('never closes a connection that joined', () => {
    const { clock, connect } = server();
    const member = connect();
    clock.advance(TIMEOUT_MS - 1);
    expect(member.join(ROOM)).toBeDefined();
    clock.advance(10 * TIMEOUT_MS);
    expect(member.socket.closes).toEqual([]);
    // Nothing left to wait for: no timer either.
    expect(clock.pendingTimers).toBe(0);
  });

  it('gives a connection that leaves its room the timeout from then to join again, and closes it after', () => {
    const { clock, connect } = server();
    const member = connect();
    member.join(ROOM);
    clock.advance(3 * TIMEOUT_MS);
    member.send({ type: ClientMessageType.Leave });
    clock.advance(TIMEOUT_MS - 1);
    expect(member.socket.closes).toEqual([]);
    clock.advance(1);
    expect(member.socket.closes).toEqual([CloseCode.JoinTimeout]);
  });

  it('keeps a connection that leaves its room and joins again in time', () => {
    const { clock, connect } = server();
    const member = connect();
    member.join(ROOM);
    member.send({ type: ClientMessageType.Leave });
    clock.advance(TIMEOUT_MS - 1);
    member.join(ROOM);
    clock.advance(10 * TIMEOUT_MS);
    expect(member.socket.closes).toEqual([]);
  });

  it('forgets a connection that closes before its deadline', () => {
    const { clock, connect } = server();
    const gone = connect();
    clock.advance(TIMEOUT_MS / 2);
    gone.session.handleClose();
    expect(clock.pendingTimers).toBe(0);
    clock.advance(TIMEOUT_MS);
    expect(gone.socket.closes).toEqual([]);
  });

  it('closes each connection at its own deadline, with one timer for all of them', () => {
    const { clock, connect } = server();
    // 30 connections, so the 15 that join fit in one room.
    const arrivals = Array.from({ length: 30 }, (_, index) => {
      clock.advance(index === 0 ? 0 : 100);
      const arrival = { connection: connect(), at: clock.now() };
      expect(clock.pendingTimers).toBe(1);
      return arrival;
    });
    // Every other one joins, which changes nothing for the rest.
    for (const [index, { connection }] of arrivals.entries()) if (index % 2 === 1) connection.join(ROOM);
    const closedAt = new Map<FakeConnection, number>();
    while (clock.pendingTimers > 0) {
      expect(clock.pendingTimers).toBe(1);
      clock.advance(1);
      for (const { connection } of arrivals) if (connection.socket.closes.length > 0 && !closedAt.has(connection)) closedAt.set(connection, clock.now());
    }
    for (const [index, { connection, at }] of arrivals.entries()) {
      expect(closedAt.get(connection)).toBe(index % 2 === 0 ? at + TIMEOUT_MS : undefined);
      expect(connection.socket.closes).toEqual(index % 2 === 0 ? [CloseCode.JoinTimeout] : []);
    }
  });

  it('moves a connection given a new deadline behind those set since, and still closes each at its own', () => {
    const clock = new FakeClock();
    const joinTimeout = new JoinTimeout<SessionSocket>({ timeoutMs: TIMEOUT_MS, clock });
    const closes: [string, number, number][] = [];
    const socket = (name: string): SessionSocket => ({ send: () => undefined, close: (code) => void closes.push([name, code, clock.now()]) });
    const [first, second] = [socket('first'), socket('second')];
    joinTimeout.expectJoin(first);
    clock.advance(1000);
    joinTimeout.expectJoin(second);
    clock.advance(1000);
    joinTimeout.expectJoin(first);
    clock.advance(2 * TIMEOUT_MS);
    expect(closes).toEqual([
      ['second', CloseCode.JoinTimeout, 1000 + TIMEOUT_MS],
      ['first', CloseCode.JoinTimeout, 2000 + TIMEOUT_MS],
    ]);
  });
});
