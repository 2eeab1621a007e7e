// Several Parley instances sharing rooms through a real redis-server (REDIS_URL), as an operator
// runs them behind a load balancer with no sticky sessions: members of one room on different
// instances meet, signal in order, and are held to the room's caps together; an instance killed
// outright has its members leave elsewhere within seconds; Redis going away disconnects members
// with 4030 (and /readyz says 503) until it is back.
import { spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode, ErrorCode, LeaveReason } from '../../../protocol/signaling.js';
import { RedisProcess } from '../../support/redis.js';
import { SERVER_ENTRY, startServerProcess, type ServerProcess } from '../../support/server-process.js';
import { newParticipant } from '../../support/participant.js';
import { TestClient } from '../../support/ws-client.js';

let redis: RedisProcess;
const instances: ServerProcess[] = [];
const clients: TestClient[] = [];
let roomSerial = 0;

/** A fresh room id (43 characters of the id alphabet). */
function newRoom(): string {
  roomSerial += 1;
  return `shared${roomSerial}`.padEnd(43, 'x');
}

beforeAll(async () => {
  redis = await RedisProcess.start();
});
afterAll(async () => {
  await redis?.kill();
});
afterEach(() => {
  for (const client of clients.splice(0)) client.socket.terminate();
  for (const instance of instances.splice(0)) instance.child.kill('SIGKILL');
});

async function instance(env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  const started = await startServerProcess([], { REDIS_URL: redis.url, JOINS_PER_MINUTE_PER_IP: '1000', MAX_ROOM_MEMBERS_PER_IP: '256', ...env });
  instances.push(started);
  return started;
}

async function connect(on: ServerProcess): Promise<TestClient> {
  const client = await TestClient.connect(`ws://127.0.0.1:${on.port}/signal`);
  clients.push(client);
  return client;
}

async function readyz(on: ServerProcess): Promise<number> {
  return (await fetch(`http://127.0.0.1:${on.port}/readyz`)).status;
}

describe('rooms shared by two instances through Redis', () => {
  it('members on different instances meet, and signals between them keep their order', async () => {
    const [a, b] = [await instance(), await instance()];
    expect(a.output()).toMatch(/rooms shared through Redis as instance [0-9a-f]{8}/);
    const room = newRoom();
    const ada = await connect(a);
    const adaWelcome = await ada.join(room);
    const bob = await connect(b);
    const bobWelcome = await bob.join(room);
    expect(bobWelcome.members).toEqual([{ id: adaWelcome.id }]);
    expect(await ada.next('peer-joined')).toEqual({ type: 'peer-joined', peer: { id: bobWelcome.id } });
    // Bob's first signals may follow his welcome at once: Ada's instance heard of him first.
    // Within the frame burst a connection is allowed (RATE_LIMIT_BURST, 200).
    const count = 150;
    for (let n = 0; n < count; n += 1) bob.send({ type: 'signal', to: adaWelcome.id, data: { n } });
    const received: number[] = [];
    for (let n = 0; n < count; n += 1) received.push((await ada.next('signal')).data.n as number);
    expect(received).toEqual([...Array(count).keys()]);
    ada.send({ type: 'signal', to: bobWelcome.id, data: { back: true } });
    expect(await bob.next('signal')).toMatchObject({ from: adaWelcome.id, data: { back: true } });
    expect([await readyz(a), await readyz(b)]).toEqual([200, 200]);
  });

  it("holds the room cap and the per-address cap across instances, and tells of leaves with their reason", async () => {
    const [a, b] = [await instance({ ROOM_CAPACITY: '3', MAX_ROOM_MEMBERS_PER_IP: '256' }), await instance({ ROOM_CAPACITY: '3', MAX_ROOM_MEMBERS_PER_IP: '256' })];
    const room = newRoom();
    const ada = await connect(a);
    await ada.join(room);
    const bob = await connect(b);
    const bobWelcome = await bob.join(room);
    const cy = await connect(a);
    const cyWelcome = await cy.join(room);
    // A fourth, on either instance: the room holds three in all.
    const dee = await connect(b);
    dee.send({ type: 'join', v: 2, room, session: newParticipant().session, key: newParticipant().key });
    expect(await dee.next('error')).toMatchObject({ code: ErrorCode.RoomFull });
    expect((await dee.closed).code).toBe(CloseCode.RoomFull);

    bob.send({ type: 'leave' });
    expect(await ada.next('peer-left')).toEqual({ type: 'peer-left', id: bobWelcome.id, reason: LeaveReason.Left });
    cy.socket.terminate();
    expect(await ada.next('peer-left', (message) => message.id === cyWelcome.id)).toMatchObject({ reason: LeaveReason.Lost });

    // Per address: two places from one address in a room, whichever instance they come through.
    const [c, d] = [await instance({ MAX_ROOM_MEMBERS_PER_IP: '2' }), await instance({ MAX_ROOM_MEMBERS_PER_IP: '2' })];
    const other = newRoom();
    await (await connect(c)).join(other);
    await (await connect(d)).join(other);
    const third = await connect(c);
    third.send({ type: 'join', v: 2, room: other, session: newParticipant().session, key: newParticipant().key });
    expect((await third.next('error')).message).toMatch(/2 people connecting from your network/);
  });

  it('the same participant joining again on another instance replaces its older connection there', async () => {
    const [a, b] = [await instance(), await instance()];
    const room = newRoom();
    const ada = await connect(a);
    const adaWelcome = await ada.join(room);
    const participant = newParticipant();
    const bobFirst = await connect(a);
    const first = await bobFirst.join(room, participant);
    await ada.next('peer-joined');
    const bobAgain = await connect(b);
    const again = await bobAgain.join(room, participant);
    expect(again.id).toBe(first.id);
    expect(again.members).toEqual([{ id: adaWelcome.id }]);
    expect((await bobFirst.closed).code).toBe(CloseCode.Replaced);
    // Ada hears Bob is here again, and never that he left.
    expect(await ada.next('peer-joined')).toEqual({ type: 'peer-joined', peer: { id: first.id } });
    ada.send({ type: 'signal', to: first.id, data: { to: 'the new connection' } });
    expect(await bobAgain.next('signal')).toMatchObject({ data: { to: 'the new connection' } });
    await ada.barrier();
    expect(ada.all('peer-left')).toEqual([]);
  });

  it('an instance killed outright: its members leave the room on the others within seconds, and leave no ghost', async () => {
    const [a, b] = [await instance(), await instance()];
    const room = newRoom();
    const ada = await connect(a);
    await ada.join(room);
    const bob = await connect(b);
    const bobWelcome = await bob.join(room);
    await ada.next('peer-joined');
    const killed = performance.now();
    b.child.kill('SIGKILL');
    const left = await ada.next('peer-left', () => true, 10_000);
    const seconds = (performance.now() - killed) / 1000;
    console.log(`[bus] an instance was killed with SIGKILL; its member left the room on the other instance ${seconds.toFixed(1)} s later`);
    expect(left).toEqual({ type: 'peer-left', id: bobWelcome.id, reason: LeaveReason.Lost });
    expect(seconds).toBeLessThan(10);
    // No ghost: a newcomer is told only of Ada.
    const cy = await connect(a);
    expect((await cy.join(room)).members.map((member) => member.id)).toHaveLength(1);
  }, 20_000);

  it('Redis going away: members are told (4030), /readyz says 503, nothing crashes; when it is back, they can rejoin and meet again', async () => {
    const [a, b] = [await instance(), await instance()];
    const room = newRoom();
    const ada = await connect(a);
    await ada.join(room);
    const bob = await connect(b);
    await bob.join(room);
    await redis.kill();
    const [adaClosed, bobClosed] = await Promise.all([ada.closed, bob.closed]);
    expect([adaClosed.code, bobClosed.code]).toEqual([CloseCode.BusUnavailable, CloseCode.BusUnavailable]);
    expect([await readyz(a), await readyz(b)]).toEqual([503, 503]);
    await expect(connect(a)).rejects.toThrow(/503/);
    expect((await fetch(`http://127.0.0.1:${a.port}/healthz`)).status).toBe(200);

    const restarted = performance.now();
    await redis.restart();
    for (const on of [a, b]) {
      for (let waited = 0; (await readyz(on)) !== 200; waited += 100) {
        if (waited > 10_000) throw new Error('an instance did not become ready again');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    console.log(`[bus] Redis restarted: both instances ready again ${((performance.now() - restarted) / 1000).toFixed(1)} s later`);
    const adaAgain = await connect(a);
    const adaWelcome = await adaAgain.join(room);
    const bobAgain = await connect(b);
    expect((await bobAgain.join(room)).members).toEqual([{ id: adaWelcome.id }]);
    expect(a.child.exitCode).toBeNull();
    expect(b.child.exitCode).toBeNull();
  }, 30_000);
});

describe('a Redis the instance cannot use', () => {
  it('stops the server at start with the reason Redis gave, and no password in the message', async () => {
    // A user this Redis does not have: its answer names the problem.
    const child = spawn(process.execPath, [SERVER_ENTRY, '--host', '127.0.0.1', '--port', '0'], {
      env: { ...process.env, STUN_PORT: '0', REDIS_URL: `redis://nobody:not-the-password@127.0.0.1:${redis.port}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // Bounded: a server that started anyway must not outlive the test.
    const guard = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const code = await new Promise((resolve) => child.once('exit', resolve));
    clearTimeout(guard);
    expect(code).toBe(1);
    expect(stderr).toMatch(/cannot reach Redis at redis:\/\/nobody:\*\*\*@127\.0\.0\.1:\d+\/?: .*WRONGPASS/);
    expect(stderr).not.toContain('not-the-password');
  });
});
