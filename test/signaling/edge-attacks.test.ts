// The signaling server at its default limits, attacked from one address the ways an outside review
// found worked before: join/leave churn aimed at a victim, one address filling a room, and request
// headers sent half-way to hold sockets. Each case says what the attacker tries and what it gets.
// (Forged X-Forwarded-* through a real proxy: behind-nginx.test.ts; IPv6 /64s and each limit's
// setting: readme-settings.test.ts.)
import { createConnection, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode, ErrorCode, PROTOCOL_VERSION } from '../../protocol/signaling.js';
import { DEFAULT_CONFIG } from '../../signaling/config.js';
import { newParticipant } from '../support/participant.js';
import { startServer, type RunningServer } from '../support/server.js';
import { TestClient } from '../support/ws-client.js';

const ROOM = 'v'.repeat(43);
/** What an operator runs: the per-address limits the test helper lifts are put back. */
const DEFAULT_LIMITS = { joinsPerMinutePerIp: DEFAULT_CONFIG.joinsPerMinutePerIp, maxRoomMembersPerIp: DEFAULT_CONFIG.maxRoomMembersPerIp };

let server: RunningServer | undefined;
const clients: TestClient[] = [];
const rawSockets: Socket[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const socket of rawSockets.splice(0)) socket.destroy();
  await server?.close();
  server = undefined;
});

async function connect(running: RunningServer): Promise<TestClient> {
  const client = await TestClient.connect(running.signalUrl);
  clients.push(client);
  return client;
}

describe('the edge at its default limits', () => {
  it('join/leave churn from one address reaches a victim 20 times in a minute, not 145 times in 3.3 s', async () => {
    server = await startServer(DEFAULT_LIMITS);
    // The victim joins from elsewhere (behind a proxy it would be another address; here the test
    // joins it before the attacker spends the address's joins).
    const victim = await connect(server);
    await victim.join(ROOM);
    const started = performance.now();
    let attempts = 0;
    let refusals = 0;
    let refusedWith: { code: string; retryAfterMs?: number } | undefined;
    // The attacker: join, leave, join again, as fast as the server answers; a new socket whenever
    // the server closes one. Bounded in count and time.
    while (performance.now() - started < 3300 && attempts + refusals < 2000) {
      const attacker = await connect(server);
      for (; attempts < 500 && performance.now() - started < 3300; attempts += 1) {
        attacker.send({ type: 'join', v: PROTOCOL_VERSION, room: ROOM, ...newParticipant() });
        const answer = await attacker.joinAnswer();
        if (answer.type === 'error') {
          refusedWith = answer;
          refusals += 1;
          await attacker.closed;
          break;
        }
        attacker.send({ type: 'leave' });
      }
    }
    await victim.barrier();
    const announced = victim.all('peer-joined').length;
    console.log(`[attack] ${attempts + refusals} joins tried (${refusals} refused) in ${Math.round(performance.now() - started)} ms; the victim heard ${announced} peer-joined`);
    expect(refusedWith).toMatchObject({ code: ErrorCode.JoinRateLimited });
    // The victim's own join spent one of the 20; one more may have refilled (one every 3 s).
    expect(announced).toBeGreaterThanOrEqual(DEFAULT_CONFIG.joinsPerMinutePerIp - 1);
    expect(announced).toBeLessThanOrEqual(DEFAULT_CONFIG.joinsPerMinutePerIp + 1);
    expect(refusedWith!.retryAfterMs).toBeGreaterThan(0);
    expect(refusedWith!.retryAfterMs).toBeLessThanOrEqual(60_000 / DEFAULT_CONFIG.joinsPerMinutePerIp);
  });

  it('sixteen sockets from one address take at most eight places in a room; the others are refused', async () => {
    server = await startServer(DEFAULT_LIMITS);
    const outcomes: string[] = [];
    for (let socket = 0; socket < DEFAULT_CONFIG.roomCapacity; socket += 1) {
      const client = await connect(server);
      client.send({ type: 'join', v: PROTOCOL_VERSION, room: ROOM, ...newParticipant() });
      const answer = await client.joinAnswer();
      outcomes.push(answer.type === 'welcome' ? 'joined' : answer.code);
      if (answer.type === 'error') expect((await client.closed).code).toBe(CloseCode.RoomFull);
    }
    expect(outcomes.filter((outcome) => outcome === 'joined')).toHaveLength(DEFAULT_CONFIG.maxRoomMembersPerIp);
    expect(outcomes.filter((outcome) => outcome === ErrorCode.RoomFull)).toHaveLength(DEFAULT_CONFIG.roomCapacity - DEFAULT_CONFIG.maxRoomMembersPerIp);
  });

  it('300 upgrades sent half-way are all closed within the headers timeout, and the server still answers', async () => {
    server = await startServer();
    const closed: Promise<number>[] = [];
    const started = performance.now();
    for (let index = 0; index < 300; index += 1) {
      const socket = createConnection({ host: '127.0.0.1', port: server.port });
      rawSockets.push(socket);
      socket.on('error', () => undefined);
      socket.resume();
      // The headers never end: no blank line.
      socket.write(`GET /signal HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Slow: ${index}\r\n`);
      closed.push(new Promise((resolve) => socket.once('close', () => resolve(performance.now() - started))));
    }
    // Meanwhile a real client gets in.
    await (await connect(server)).join(ROOM);
    const times = await Promise.all(closed);
    const last = Math.max(...times);
    console.log(`[attack] 300 half-sent upgrades all closed after ${Math.round(Math.min(...times))}–${Math.round(last)} ms`);
    // HEADERS_TIMEOUT_MS (5 s), checked every second.
    expect(Math.min(...times)).toBeGreaterThan(DEFAULT_CONFIG.headersTimeoutMs - 100);
    expect(last).toBeLessThan(DEFAULT_CONFIG.headersTimeoutMs + 4000);
  }, 20_000);

  it('warns the operator once when connections come through a proxy it does not trust', async () => {
    const lines: string[] = [];
    server = await startServer({ logger: { level: 'warn', stream: { write: (line: string) => lines.push(line) } } });
    for (const forwarded of ['198.51.100.1', '198.51.100.2']) clients.push(await TestClient.connect(server.signalUrl, { headers: { 'X-Forwarded-For': forwarded } }));
    const warnings = lines.filter((line) => line.includes('TRUST_PROXY is not set'));
    expect(warnings).toHaveLength(1);
  });
});
