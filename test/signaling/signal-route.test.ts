// The signaling server over real WebSockets on a random loopback port.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { connect as connectTcp } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import WebSocket from 'ws';
import { ClientMessageType, CloseCode, ErrorCode, ORIGIN_CHECK_PATH, PROTOCOL_VERSION, type WelcomeMessage } from '../../protocol/signaling.js';
import { derivePeerId } from '../../signaling/session.js';
import { newKeyDigest, newParticipant, type Participant } from '../support/participant.js';
import { startServer, type RunningServer } from '../support/server.js';
import { TestClient } from '../support/ws-client.js';

const ROOM_A = 'a'.repeat(43);
const ROOM_B = 'b'.repeat(43);

let server: RunningServer;
const clients: TestClient[] = [];

async function connect(): Promise<TestClient> {
  const client = await TestClient.connect(server.signalUrl);
  clients.push(client);
  return client;
}

/** A full garbage collection, without starting the test process with --expose-gc. */
async function collectGarbage(): Promise<void> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  // Twice, with a turn between: WeakRefs held during a turn are only cleared after it.
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
}

async function join(room: string, participant: Participant = newParticipant()): Promise<{ client: TestClient; welcome: WelcomeMessage }> {
  const client = await connect();
  return { client, welcome: await client.join(room, participant) };
}

beforeEach(async () => {
  server = await startServer({ roomCapacity: 3, heartbeatIntervalMs: 200, iceServers: [{ urls: 'stun:127.0.0.1:3478' }] });
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await server.close();
});

describe('joining and leaving', () => {
  it('welcomes with an id, the current members and the ICE servers, and announces the newcomer', async () => {
    const ada = await join(ROOM_A);
    expect(ada.welcome).toMatchObject({ type: 'welcome', v: PROTOCOL_VERSION, room: ROOM_A, members: [] });
    expect(ada.welcome.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(ada.welcome.iceServers).toEqual([{ urls: 'stun:127.0.0.1:3478' }]);

    const bob = await join(ROOM_A);
    expect(bob.welcome.members).toEqual([{ id: ada.welcome.id }]);
    expect(bob.welcome.id).not.toBe(ada.welcome.id);
    expect(await ada.client.next('peer-joined')).toEqual({ type: 'peer-joined', peer: { id: bob.welcome.id } });
  });

  it('derives the peer id from the room, the key digest and the session secret', async () => {
    const participant = newParticipant();
    const otherKey = newKeyDigest();
    const inA = await join(ROOM_A, participant);
    const inB = await join(ROOM_B, participant);
    const inBWithOtherKey = await join(ROOM_B, { ...participant, key: otherKey });
    expect(inA.welcome.id).toBe(derivePeerId(ROOM_A, participant.key, participant.session));
    expect(inB.welcome.id).toBe(derivePeerId(ROOM_B, participant.key, participant.session));
    expect(inBWithOtherKey.welcome.id).toBe(derivePeerId(ROOM_B, otherKey, participant.session));
    expect(new Set([inA.welcome.id, inB.welcome.id, inBWithOtherKey.welcome.id]).size).toBe(3);
  });

  it('treats the same session and key joining again as the same participant, replacing the old connection', async () => {
    const participant = newParticipant();
    const ada = await join(ROOM_A, participant);
    const bob = await join(ROOM_A);
    await ada.client.next('peer-joined');
    // Ada reloads: her new connection presents the same secret and key before the old one is gone.
    const again = await join(ROOM_A, participant);
    expect(again.welcome.id).toBe(ada.welcome.id);
    expect(again.welcome.members).toEqual([{ id: bob.welcome.id }]);
    expect((await ada.client.closed).code).toBe(CloseCode.Replaced);
    expect(await bob.client.next('peer-joined')).toEqual({ type: 'peer-joined', peer: { id: ada.welcome.id } });
    await bob.client.barrier();
    expect(bob.client.all('peer-left')).toEqual([]);
    // Signals reach the new connection.
    bob.client.send({ type: 'signal', to: ada.welcome.id, data: { n: 1 } });
    expect(await again.client.next('signal')).toMatchObject({ from: bob.welcome.id, data: { n: 1 } });
    expect(await server.app.metrics.getSingleMetricAsString('parley_room_members')).toMatch(/^parley_room_members 2$/m);
  });

  it('announces a leave message and a closed socket as peer-left, saying which', async () => {
    const ada = await join(ROOM_A);
    const bob = await join(ROOM_A);
    const cy = await join(ROOM_A);
    bob.client.send({ type: 'leave' });
    expect(await ada.client.next('peer-left')).toEqual({ type: 'peer-left', id: bob.welcome.id, reason: 'left' });
    cy.client.close();
    expect(await ada.client.next('peer-left')).toEqual({ type: 'peer-left', id: cy.welcome.id, reason: 'lost' });
  });

  it('refuses rename as an unknown type and a join with a name, and sends nobody a name', async () => {
    const NAME = 'Robert Tables';
    const ada = await join(ROOM_A);
    const bob = await join(ROOM_A);
    bob.client.send({ type: 'rename', name: NAME });
    expect(await bob.client.next('error')).toMatchObject({ code: ErrorCode.UnknownType, ref: 'rename' });
    // The server has nowhere to keep a name: a join that carries one is refused, not stripped.
    const named = await connect();
    named.send({ type: 'join', v: PROTOCOL_VERSION, room: ROOM_A, name: NAME, ...newParticipant() });
    expect(await named.next('error')).toMatchObject({ code: ErrorCode.InvalidMessage, ref: 'join' });
    const cy = await join(ROOM_A);
    expect(cy.welcome.members).toEqual([{ id: ada.welcome.id }, { id: bob.welcome.id }]);
    const everyone = [ada.client, bob.client, cy.client, named];
    for (const client of everyone) await client.barrier();
    for (const frame of everyone.flatMap((client) => client.received)) expect(JSON.stringify(frame)).not.toContain(NAME);
    expect(ada.client.all('peer-joined')).toEqual([
      { type: 'peer-joined', peer: { id: bob.welcome.id } },
      { type: 'peer-joined', peer: { id: cy.welcome.id } },
    ]);
  });

  it('refuses a second join and actions before joining', async () => {
    const ada = await join(ROOM_A);
    ada.client.send({ type: 'join', v: PROTOCOL_VERSION, room: ROOM_B, ...newParticipant() });
    expect(await ada.client.next('error')).toMatchObject({ code: ErrorCode.AlreadyJoined, ref: 'join' });

    const loner = await connect();
    loner.send({ type: 'signal', to: ada.welcome.id, data: { type: 'offer', sdp: 'x' } });
    expect(await loner.next('error')).toMatchObject({ code: ErrorCode.NotJoined, ref: 'signal' });
    loner.send({ type: 'leave' });
    expect(await loner.next('error')).toMatchObject({ code: ErrorCode.NotJoined, ref: 'leave' });
  });

  it('closes with 4001 for an unsupported protocol version', async () => {
    const client = await connect();
    client.send({ type: 'join', v: PROTOCOL_VERSION + 1, room: ROOM_A, ...newParticipant() });
    expect(await client.next('error')).toMatchObject({ code: ErrorCode.UnsupportedVersion });
    expect((await client.closed).code).toBe(CloseCode.UnsupportedVersion);
  });
});

describe('relaying signals', () => {
  it('relays to a member of the same room with the sender id set by the server', async () => {
    const ada = await join(ROOM_A);
    const bob = await join(ROOM_A);
    const data = { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' };
    bob.client.send({ type: 'signal', to: ada.welcome.id, data });
    expect(await ada.client.next('signal')).toEqual({ type: 'signal', from: bob.welcome.id, data });
  });

  it('relays payloads in any key order and spacing, exactly as validated', async () => {
    const ada = await join(ROOM_A);
    const bob = await join(ROOM_A);
    const data = { candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', sdpMid: '0', note: '"}\\' };
    bob.client.sendRaw(JSON.stringify({ data, to: ada.welcome.id, type: 'signal' }, null, 2));
    expect(await ada.client.next('signal')).toEqual({ type: 'signal', from: bob.welcome.id, data });
    bob.client.sendRaw(`{"type":"signal","to":"${ada.welcome.id}","data":{"a":1},"data":{"b":2}}`);
    expect(await ada.client.next('signal')).toEqual({ type: 'signal', from: bob.welcome.id, data: { b: 2 } });
  });

  it('never relays outside the room', async () => {
    const ada = await join(ROOM_A);
    const bob = await join(ROOM_A);
    const eve = await join(ROOM_B);
    eve.client.send({ type: 'signal', to: ada.welcome.id, data: { type: 'offer', sdp: 'evil' } });
    expect(await eve.client.next('error')).toMatchObject({ code: ErrorCode.UnknownPeer, ref: 'signal' });

    // Ada still gets Bob's signals, and only those.
    bob.client.send({ type: 'signal', to: ada.welcome.id, data: { n: 1 } });
    expect(await ada.client.next('signal')).toMatchObject({ from: bob.welcome.id, data: { n: 1 } });
    await ada.client.barrier();
    expect(ada.client.all('signal')).toHaveLength(1);
  });

  it('refuses signals to oneself and to someone who left', async () => {
    const ada = await join(ROOM_A);
    const bob = await join(ROOM_A);
    ada.client.send({ type: 'signal', to: ada.welcome.id, data: {} });
    expect(await ada.client.next('error')).toMatchObject({ code: ErrorCode.UnknownPeer });
    bob.client.send({ type: 'leave' });
    await ada.client.next('peer-left');
    ada.client.send({ type: 'signal', to: bob.welcome.id, data: {} });
    expect(await ada.client.next('error')).toMatchObject({ code: ErrorCode.UnknownPeer });
  });

  it('cannot forge the sender id', async () => {
    const ada = await join(ROOM_A);
    const bob = await join(ROOM_A);
    const cy = await join(ROOM_A);
    // Cy claims to be Bob: the frame is refused and nothing reaches Ada.
    cy.client.send({ type: 'signal', to: ada.welcome.id, from: bob.welcome.id, data: { type: 'offer', sdp: 'forged' } });
    expect(await cy.client.next('error')).toMatchObject({ code: ErrorCode.InvalidMessage });
    // A `from` hidden inside the payload is only payload: the envelope still names Cy.
    cy.client.send({ type: 'signal', to: ada.welcome.id, data: { from: bob.welcome.id } });
    const relayed = await ada.client.next('signal');
    expect(relayed.from).toBe(cy.welcome.id);
    await ada.client.barrier();
    expect(ada.client.all('signal')).toHaveLength(1);
  });
});

describe('bad input', () => {
  it('answers every kind of bad frame with an error and keeps serving', async () => {
    const ada = await join(ROOM_A);
    const bob = await join(ROOM_A);
    const bad: [string | Buffer, string, boolean?][] = [
      ['{not json', ErrorCode.BadJson],
      ['[]', ErrorCode.UnknownType],
      ['{"type":"explode"}', ErrorCode.UnknownType],
      ['{"type":"signal","to":42,"data":{}}', ErrorCode.InvalidMessage],
      ['{"type":"join","v":2}', ErrorCode.InvalidMessage],
      [Buffer.from([0xde, 0xad, 0xbe, 0xef]), ErrorCode.BadJson, true],
      ['x'.repeat(70 * 1024), ErrorCode.FrameTooLarge],
    ];
    for (const [frame, code, binary] of bad) {
      ada.client.sendRaw(frame, { binary: binary ?? false });
      const error = await ada.client.next('error');
      expect(error.code).toBe(code);
      expect(JSON.stringify(error)).not.toMatch(/\.ts:\d+|\.js:\d+|stack/i);
    }
    bob.client.send({ type: 'signal', to: ada.welcome.id, data: { still: 'works' } });
    expect(await ada.client.next('signal')).toMatchObject({ data: { still: 'works' } });
    const health = await fetch(`${server.origin}/healthz`);
    expect(health.status).toBe(200);
  });

  it('closes with 1007 a text frame that is not UTF-8, and others are unaffected', async () => {
    const ada = await join(ROOM_A);
    const bob = await join(ROOM_A);
    ada.client.sendRaw(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
    expect((await ada.client.closed).code).toBe(CloseCode.InvalidPayload);
    expect(await bob.client.next('peer-left')).toEqual({ type: 'peer-left', id: ada.welcome.id, reason: 'lost' });
  });

  it('closes with 1009 a frame over the hard limit, and others are unaffected', async () => {
    const ada = await join(ROOM_A);
    const bob = await join(ROOM_A);
    ada.client.sendRaw('x'.repeat(2 * 1024 * 1024));
    expect((await ada.client.closed).code).toBe(CloseCode.MessageTooBig);
    expect(await bob.client.next('peer-left')).toEqual({ type: 'peer-left', id: ada.welcome.id, reason: 'lost' });
  });
});

describe('limits and liveness', () => {
  it('refuses a member over the room cap with room-full and close 4002', async () => {
    await join(ROOM_A);
    await join(ROOM_A);
    await join(ROOM_A);
    const fourth = await connect();
    fourth.send({ type: 'join', v: PROTOCOL_VERSION, room: ROOM_A, ...newParticipant() });
    const error = await fourth.next('error');
    expect(error).toMatchObject({ code: ErrorCode.RoomFull, ref: 'join' });
    expect(error.message).toContain('3');
    expect((await fourth.closed).code).toBe(CloseCode.RoomFull);
    // Another room is not affected by this one being full.
    const other = await join(ROOM_B);
    expect(other.welcome.members).toEqual([]);
  });

  it('drops a client that stops answering pings, and the room sees it leave', async () => {
    const ada = await join(ROOM_A);
    const silent = await TestClient.connect(server.signalUrl, { autoPong: false });
    clients.push(silent);
    silent.send({ type: 'join', v: PROTOCOL_VERSION, room: ROOM_A, ...newParticipant() });
    const { id } = await silent.next('welcome');
    const started = performance.now();
    expect(await ada.client.next('peer-left', () => true, 3000)).toEqual({ type: 'peer-left', id, reason: 'lost' });
    // Within two intervals by the schedule (asserted on a fake clock in connections/heartbeat.test.ts);
    // measured here, as a loaded machine stretches it.
    console.log(`[timing] a silent client was dropped ${(performance.now() - started).toFixed(0)} ms after its welcome (heartbeat interval 200 ms)`);
    // Ada answers pings (ws does by default) and stays.
    expect(await server.app.metrics.getSingleMetricAsString('parley_room_members')).toMatch(/^parley_room_members 1$/m);
  });
});

describe('memory', () => {
  it('does not keep the upgrade request and response of an open connection', async () => {
    const exchanges: WeakRef<object>[] = [];
    server.app.server.on('upgrade', (request: IncomingMessage) => exchanges.push(new WeakRef(request)));
    const members = await Promise.all([1, 2, 3].map(() => join(ROOM_A)));
    expect(exchanges).toHaveLength(3);
    await collectGarbage();
    expect(exchanges.filter((exchange) => exchange.deref() !== undefined)).toHaveLength(0);
    // The connections are still open and working.
    members[0]!.client.send({ type: 'signal', to: members[1]!.welcome.id, data: { sdp: 'x' } });
    expect(await members[1]!.client.next('signal')).toMatchObject({ from: members[0]!.welcome.id });
  });
});

describe('heartbeat', () => {
  it('pings every connection once per interval, again and again', async () => {
    await server.close();
    const intervalMs = 1000;
    server = await startServer({ heartbeatIntervalMs: intervalMs });
    const started = performance.now();
    const pingTimes = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const client = await connect();
        return new Promise<number[]>((resolve) => {
          const times: number[] = [];
          client.socket.on('ping', () => {
            times.push(performance.now() - started);
            if (times.length === 2) resolve(times);
          });
        });
      }),
    );
    // The schedule (a tenth of the connections per slot, each once per interval) is asserted on a
    // fake clock in connections/heartbeat.test.ts; real time on a loaded machine is only measured.
    const gaps = pingTimes.map(([first, second]) => second! - first!);
    const slots = new Set(pingTimes.map(([first]) => Math.floor(first! / (intervalMs / 10))));
    console.log(
      `[timing] heartbeat, 20 connections, ${intervalMs} ms interval: first pings in ${slots.size} of 10 slots; ` +
        `second ping ${Math.min(...gaps).toFixed(0)}–${Math.max(...gaps).toFixed(0)} ms after the first`,
    );
  });
});

describe('logging', () => {
  it('logs joins and leaves but never signaling payloads or full room ids', async () => {
    await server.close();
    const lines: string[] = [];
    server = await startServer({
      logger: { level: 'trace', stream: { write: (line: string) => void lines.push(line) } },
    });
    const ada = await join(ROOM_A);
    const bob = await join(ROOM_A);
    const sdp = 'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\na=fingerprint:sha-256 SECRET-FINGERPRINT';
    bob.client.send({ type: 'signal', to: ada.welcome.id, data: { type: 'offer', sdp } });
    await ada.client.next('signal');
    bob.client.send({ type: 'signal', to: ada.welcome.id, data: { candidate: 'candidate:1 1 udp 2122260223 10.9.8.7 5000 typ host' } });
    await ada.client.next('signal');
    bob.client.close();
    await ada.client.next('peer-left');

    const log = lines.join('');
    expect(log).toContain('peer joined room');
    expect(log).toContain('peer left room');
    expect(log).not.toContain('SECRET-FINGERPRINT');
    expect(log).not.toContain('10.9.8.7');
    expect(log).not.toContain(ROOM_A);
  });
});

describe('abuse', () => {
  it('rate-limits each connection with an error, then closes a persistent flood with 4008', async () => {
    await server.close();
    server = await startServer({ rateLimitPerSecond: 5, rateLimitBurst: 5, rateLimitStrikes: 20 });
    const ada = await join(ROOM_A);
    const bob = await join(ROOM_A);
    // The join used one token; four more frames pass, the next is refused.
    for (let index = 0; index < 5; index += 1) bob.client.send({ type: 'signal', to: ada.welcome.id, data: { index } });
    const limited = await bob.client.next('error');
    expect(limited).toMatchObject({ code: ErrorCode.RateLimited });
    expect(limited.message).toContain('5 per second');
    for (let index = 0; index < 4; index += 1) expect(await ada.client.next('signal')).toMatchObject({ data: { index } });
    for (let index = 0; index < 100; index += 1) bob.client.send({ type: 'leave' });
    expect((await bob.client.closed).code).toBe(CloseCode.RateLimited);
    // Ada's own budget is untouched.
    const cy = await join(ROOM_A);
    ada.client.send({ type: 'signal', to: cy.welcome.id, data: { ok: true } });
    expect(await cy.client.next('signal')).toMatchObject({ data: { ok: true } });
  });

  it('caps open connections per client address before the upgrade', async () => {
    await server.close();
    server = await startServer({ maxConnectionsPerIp: 3 });
    const first = await Promise.all([connect(), connect(), connect()]);
    await expect(TestClient.connect(server.signalUrl)).rejects.toThrow(/429/);
    first[0]!.close();
    await first[0]!.closed;
    await expect.poll(async () => (await TestClient.connect(server.signalUrl).then((c) => (clients.push(c), true), () => false))).toBe(true);
  });

  it('refuses origins that are not on ALLOWED_ORIGINS, but always its own', async () => {
    await server.close();
    server = await startServer({ allowedOrigins: ['https://chat.example.org'] });
    await expect(TestClient.connect(server.signalUrl, { origin: 'https://evil.example' })).rejects.toThrow(/403/);
    clients.push(await TestClient.connect(server.signalUrl, { origin: 'https://chat.example.org' }));
    clients.push(await TestClient.connect(server.signalUrl, { origin: server.origin }));
  });

  it('tells a page whether its origin may connect, readable from any origin, as the upgrade decides', async () => {
    await server.close();
    server = await startServer({ allowedOrigins: ['https://chat.example.org'] });
    const check = async (origin?: string) => {
      const response = await fetch(`${server.origin}${ORIGIN_CHECK_PATH}`, origin ? { headers: { origin } } : {});
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect(response.headers.get('cache-control')).toBe('no-store');
      return response.json();
    };
    expect(await check('https://evil.example')).toEqual({ allowed: false });
    expect(await check('https://chat.example.org')).toEqual({ allowed: true });
    expect(await check(server.origin)).toEqual({ allowed: true });
    // A same-origin request carries no Origin: allowed, as an upgrade without one is.
    expect(await check()).toEqual({ allowed: true });
  });

  it('closes a connection that does not join in time with 4004', async () => {
    await server.close();
    server = await startServer({ joinTimeoutMs: 200, heartbeatIntervalMs: 100 });
    const idle = await connect();
    const joined = await join(ROOM_A);
    expect((await idle.closed).code).toBe(CloseCode.JoinTimeout);
    // The joined connection stays: it answers pings and has a room.
    await joined.client.barrier();
    expect(joined.client.socket.readyState).toBe(joined.client.socket.OPEN);
  });

  it('closes a connection that leaves its room and does not join again in time with 4004', async () => {
    await server.close();
    server = await startServer({ joinTimeoutMs: 200 });
    const ada = await join(ROOM_A);
    const bob = await join(ROOM_A);
    ada.client.send({ type: ClientMessageType.Leave });
    expect((await ada.client.closed).code).toBe(CloseCode.JoinTimeout);
    // Bob, still in the room, stays.
    await bob.client.barrier();
    expect(bob.client.socket.readyState).toBe(bob.client.socket.OPEN);
  });
});

describe('HTTP', () => {
  it('answers /healthz with JSON', async () => {
    await join(ROOM_A);
    const response = await fetch(`${server.origin}/healthz`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    // Up, and the protocol it speaks; how busy it is, is on /metrics for the operator.
    expect(await response.json()).toEqual({ status: 'ok', protocol: PROTOCOL_VERSION });
  });

  it('serves the web app and the embeddable element (with CORS for module scripts)', async () => {
    const page = await fetch(`${server.origin}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<parley-chat');
    const element = await fetch(`${server.origin}/parley-chat.js`);
    expect(element.status).toBe(200);
    expect(element.headers.get('content-type')).toContain('javascript');
    expect(element.headers.get('access-control-allow-origin')).toBe('*');
    expect(await element.text()).toContain('parley-chat');
  });

  // The upgrade is served outside Fastify's routes (routes/signal.ts); other paths must not lose
  // their answers to it.
  it('answers a page request that asks to upgrade (h2c, as some clients do) as the page, then closes', async () => {
    const reply = await rawExchange(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n`);
    expect(reply.text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(reply.text).toContain('"status":"ok"');
    expect(reply.closedByServer).toBe(true);
  });

  it('refuses a WebSocket upgrade to any path but /signal with 404', async () => {
    const reply = await rawExchange(upgradeRequest().replace('GET /signal ', 'GET /signals '));
    expect(reply.text).toMatch(/^HTTP\/1\.1 404 /);
    expect(reply.text).not.toContain('101 Switching Protocols');
    expect(reply.closedByServer).toBe(true);
  });

  it('accepts /signal with a query string', async () => {
    const reply = await rawExchange(upgradeRequest().replace('GET /signal ', 'GET /signal?from=test '));
    expect(reply.text).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
  });

});

/** Writes `request` on a raw connection; what came back within a second, and whether the server closed. */
async function rawExchange(request: string): Promise<{ text: string; closedByServer: boolean }> {
  return new Promise((resolve) => {
    const socket = connectTcp(server.port, '127.0.0.1', () => socket.write(request));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closedByServer: false });
    }, 1000);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closedByServer: true });
    });
  });
}

/** A WebSocket upgrade request for /signal, as a client would write it on a raw connection. */
function upgradeRequest(): string {
  const key = randomBytes(16).toString('base64');
  return `GET /signal HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
}

describe('shutdown', () => {
  /** Resolves with how close() ended; a hang shows as 'still open' instead of a test timeout. */
  async function closeServer(): Promise<'closed' | 'still open'> {
    const stillOpen = new Promise<'still open'>((resolve) => setTimeout(() => resolve('still open'), 5000).unref());
    return Promise.race([server.close().then(() => 'closed' as const), stillOpen]);
  }

  it('tells connected clients it is going away', async () => {
    const ada = await join(ROOM_A);
    expect(await closeServer()).toBe('closed');
    expect((await ada.client.closed).code).toBe(CloseCode.GoingAway);
  });

  it('finishes when an upgrade request arrives on an open connection during shutdown', async () => {
    const socket = connectTcp(server.port);
    await new Promise((resolve) => socket.once('connect', resolve));
    const closing = closeServer();
    socket.write(upgradeRequest());
    const response = await new Promise<string>((resolve) => socket.once('data', (data) => resolve(data.toString())));
    expect(response).toMatch(/^HTTP\/1\.1 503 /);
    socket.end();
    expect(await closing).toBe('closed');
  });

  // Shutdown begins when the upgrade request arrives, or a moment later while its route hooks run.
  const whenToClose = {
    'with the request': (close: () => void) => close(),
    'a microtask later': (close: () => void) => queueMicrotask(close),
    'an event-loop turn later': (close: () => void) => setImmediate(close),
  };
  for (const [when, schedule] of Object.entries(whenToClose)) {
    it(`finishes when a handshake races it (shutdown ${when}), and the client ends up closed`, async () => {
      let closing: Promise<'closed' | 'still open'> | undefined;
      const started = new Promise<void>((resolve) => {
        server.app.server.prependOnceListener('upgrade', () =>
          schedule(() => {
            closing = closeServer();
            resolve();
          }),
        );
      });
      const late = new WebSocket(server.signalUrl);
      const ended = new Promise<void>((resolve) => late.once('close', () => resolve()));
      late.on('error', () => undefined); // a refused handshake is one of the allowed outcomes
      await started;
      expect(await closing).toBe('closed');
      await ended;
      expect(late.readyState).toBe(WebSocket.CLOSED);
    });
  }
});
