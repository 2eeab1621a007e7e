// STUN_PORT, TURN_URLS, TURN_SECRET and TURN_TTL at work, in the server as an operator runs it:
// the built-in STUN server answers where the welcome says, credentials are fresh per connection
// and per refresh, refreshing is bounded, and a misconfiguration stops the server with a message.
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientMessageType, ErrorCode, type IceServersMessage } from '../../../protocol/signaling.js';
import { xorMappedAddress } from '../../../signaling/stun/binding.js';
import { turnRestPassword } from '../../../signaling/ice/ice-server-issuer.js';
import { SERVER_ENTRY, startServerProcess, type ServerProcess } from '../../support/server-process.js';
import { freeUdpPort } from '../../support/free-port.js';
import { TestClient } from '../../support/ws-client.js';

const ROOM = 's'.repeat(43);
const SECRET = 'parley-test-secret-0123456789';
const TURN_ENV = { TURN_URLS: 'turn:127.0.0.1:3478?transport=udp', TURN_SECRET: SECRET, TURN_TTL: '600' };

const running: ServerProcess[] = [];
const clients: TestClient[] = [];

afterEach(() => {
  for (const client of clients.splice(0)) client.socket.terminate();
  for (const server of running.splice(0)) server.child.kill('SIGKILL');
});

async function start(env: NodeJS.ProcessEnv): Promise<ServerProcess> {
  const server = await startServerProcess([], env);
  running.push(server);
  return server;
}

async function connect(server: ServerProcess): Promise<TestClient> {
  const client = await TestClient.connect(`ws://127.0.0.1:${server.port}/signal`);
  clients.push(client);
  return client;
}

/** Sends one STUN Binding request to 127.0.0.1:port and resolves with the answer (or rejects after 2 s). */
async function askStun(port: number): Promise<{ answer: Buffer; transactionId: Buffer; from: number }> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  try {
    const transactionId = randomBytes(12);
    const request = Buffer.alloc(20);
    request.writeUInt16BE(0x0001, 0);
    request.writeUInt32BE(0x2112a442, 4);
    transactionId.copy(request, 8);
    const answer = new Promise<Buffer>((resolve, reject) => {
      socket.once('message', resolve);
      setTimeout(() => reject(new Error(`no STUN answer from port ${port}`)), 2000);
    });
    socket.send(request, port, '127.0.0.1');
    return { answer: await answer, transactionId, from: socket.address().port };
  } finally {
    socket.close();
  }
}

async function exitOf(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [SERVER_ENTRY, '--host', '127.0.0.1', '--port', '0'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stderr };
}

describe('the built-in STUN server (STUN_PORT)', () => {
  it('answers on its port, says so at start, and the welcome points browsers at it by the host they used', async () => {
    const stunPort = await freeUdpPort();
    const server = await start({ STUN_PORT: String(stunPort) });
    expect(server.output()).toContain(`built-in STUN on UDP ${stunPort}`);
    const { answer, transactionId, from } = await askStun(stunPort);
    expect(answer.readUInt16BE(0)).toBe(0x0101);
    expect(answer.subarray(24, 32)).toEqual(xorMappedAddress(transactionId, '127.0.0.1', from));

    const client = await connect(server);
    expect((await client.join(ROOM)).iceServers).toEqual([{ urls: `stun:127.0.0.1:${stunPort}` }]);
    // The same server reached by another name: the browser is told that name.
    const byName = await TestClient.connect(`ws://localhost:${server.port}/signal`, { family: 4 });
    clients.push(byName);
    expect((await byName.join('t'.repeat(43))).iceServers).toEqual([{ urls: `stun:localhost:${stunPort}` }]);
  });

  it('is not listed, and not running, with STUN_PORT=0', async () => {
    const server = await start({ STUN_PORT: '0' });
    expect(server.output()).toContain('built-in STUN off');
    const client = await connect(server);
    expect((await client.join(ROOM)).iceServers).toEqual([]);
  });

  it('gives way to ICE_SERVERS: the operator list is handed out as it is', async () => {
    const stunPort = await freeUdpPort();
    const server = await start({ STUN_PORT: String(stunPort), ICE_SERVERS: '[{"urls":"stun:stun.example.org:3478"}]' });
    const client = await connect(server);
    expect((await client.join(ROOM)).iceServers).toEqual([{ urls: 'stun:stun.example.org:3478' }]);
  });

  it('stops the server with a message naming STUN_PORT when the port is taken', async () => {
    const taken = createSocket('udp4');
    await new Promise<void>((resolve) => taken.bind(0, '127.0.0.1', resolve));
    try {
      const { code, stderr } = await exitOf({ STUN_PORT: String(taken.address().port) });
      expect(code).toBe(1);
      expect(stderr).toContain(`127.0.0.1:${taken.address().port}`);
      expect(stderr).toMatch(/already in use.*set STUN_PORT to another port, or to 0/);
    } finally {
      taken.close();
    }
  });
});

describe('TURN with short-lived credentials (TURN_URLS, TURN_SECRET, TURN_TTL)', () => {
  it("hands each joined connection its own credentials, as coturn's REST secret makes them, good for TURN_TTL", async () => {
    const server = await start(TURN_ENV);
    const [ada, bob] = [await connect(server), await connect(server)];
    const before = Math.floor(Date.now() / 1000);
    const adaWelcome = await ada.join(ROOM);
    const bobWelcome = await bob.join(ROOM);
    for (const welcome of [adaWelcome, bobWelcome]) {
      expect(welcome.iceServersValidForMs).toBe(600_000);
      const turn = welcome.iceServers.find((entry) => entry.username !== undefined)!;
      expect(turn.urls).toEqual(['turn:127.0.0.1:3478?transport=udp']);
      const [expiry, peer] = turn.username!.split(':');
      expect(peer).toBe(welcome.id);
      expect(Number(expiry) - before).toBeGreaterThanOrEqual(600);
      expect(Number(expiry) - before).toBeLessThanOrEqual(602);
      expect(turn.credential).toBe(turnRestPassword(SECRET, turn.username!));
    }
    // The secret itself is nowhere in what a client sees.
    expect(JSON.stringify([adaWelcome, bobWelcome])).not.toContain(SECRET);
  });

  it('answers refresh-ice-servers with fresh credentials, a few times per lifetime, then says when to ask again', async () => {
    const server = await start(TURN_ENV);
    const ada = await connect(server);
    const welcome = await ada.join(ROOM);
    const answers: IceServersMessage[] = [];
    for (let i = 0; i < 3; i += 1) {
      ada.send({ type: ClientMessageType.RefreshIceServers });
      answers.push(await ada.next('ice-servers'));
    }
    for (const answer of answers) {
      expect(answer.iceServersValidForMs).toBe(600_000);
      const turn = answer.iceServers.find((entry) => entry.username !== undefined)!;
      expect(turn.username!.endsWith(`:${welcome.id}`)).toBe(true);
      expect(turn.credential).toBe(turnRestPassword(SECRET, turn.username!));
    }
    // A fourth at once: a client asking in a loop gets no more credentials, and is told when.
    ada.send({ type: ClientMessageType.RefreshIceServers });
    const refused = await ada.next('error');
    expect(refused).toMatchObject({ code: ErrorCode.IceRefreshLimited, ref: ClientMessageType.RefreshIceServers });
    // One of four per 600 s lifetime: the next comes in 150 s.
    expect(refused.retryAfterMs).toBeGreaterThan(140_000);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(150_000);
    // The connection itself is fine: it is still in the room and can signal.
    const bob = await connect(server);
    await bob.join(ROOM);
    await ada.next('peer-joined');
  });

  it('refuses refresh-ice-servers before a join (credentials name a member)', async () => {
    const server = await start(TURN_ENV);
    const ada = await connect(server);
    ada.send({ type: ClientMessageType.RefreshIceServers });
    expect(await ada.next('error')).toMatchObject({ code: ErrorCode.NotJoined, ref: ClientMessageType.RefreshIceServers });
  });

  it.each([
    [{ TURN_URLS: 'turn:turn.example.org:3478' }, /TURN_URLS \(--turn-urls\) needs TURN_SECRET/],
    [{ TURN_SECRET: SECRET }, /TURN_SECRET \(--turn-secret\) is set but TURN_URLS/],
    [{ TURN_URLS: 'turn:turn.example.org:3478', TURN_SECRET: 'short' }, /TURN_SECRET \(--turn-secret\) must be at least 16 characters/],
  ])('stops the server (exit code 2) when TURN is half configured: %j', async (env, message) => {
    const { code, stderr } = await exitOf({ STUN_PORT: '0', ...env });
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });
});
